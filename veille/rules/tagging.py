"""Tagging: the themes of feeds.yaml given to an entry, each with the reason it was given.

Pure: ``compile_rules(config.tags)`` once, then ``tag(EntryText(...), compiled)`` per entry.
Term syntax (words, phrases, ``prefix*``, ``/regex/``, ``a | b``, ``a + b``, ``a ~ b``):
``veille.rules.terms``; what depends on where a term stands: ``veille.rules.context``. The
README (« Thèmes et règles ») says the same for referents.

A theme (``TagRule``) has:

* ``match`` — **strong** terms: one of them, in any field, gives the theme;
* ``weak`` — ambiguous terms that add up, **never one alone**: two different ones in the
  title or the summary, four in the content (a long text, where passing mentions abound).
  Precisely, a term found in a field scores (``POINTS``)::

                title  summary  content  category  link
        match     4       4        4        4        4
        weak      3       2        1        3        2

  and a theme needs 4 points (each term counts once, in its best field; ``jeu`` and ``jeux``
  are one term);
* ``ignore`` — contexts in which its terms do not count: an occurrence of a match or weak
  term that lies inside an occurrence of an ignore phrase is skipped (« tablette de
  chocolat » for ``tablette*``; « IA-IPR » for ``IA``), other occurrences still count;
* ``exclude`` — terms that **veto** the theme, when found in the field of its evidence or a
  more prominent one (``veille.rules.context``: a reaction in the summary does not cancel an
  announcement in the title);
* ``hosts`` — host patterns (``veille.rules.hosts``): an entry whose link is on one of them
  gets the theme (``ressources``: the sites of the ministry, Canopé…); in a term,
  ``site:ac-*.fr + Pix`` asks for the link's host and words together.

The feed's own tags (``tags:`` of the source) are always given, reason ``source``, and are
never vetoed.

Fields are title, summary, content (plain text: use ``text.strip_html`` or
``EntryText.from_entry``) and categories (a phrase does not run from one category into the
next; ``a + b`` looks at all of them). Dotted acronyms are read as words in the title, summary
and categories (« I.A. » and « I.A » are « IA », « E.N.T. » is « ENT »). The content is read up
to its first ``CONTENT_WORDS`` words: further on come passing mentions.

The reason of a tag names the term and the field: the first field (in that order) where a
strong term was found, with the first of the rule's terms found there; for weak terms adding
up, the terms joined by `` + `` and the field of the first; for a host, the field ``link`` and
the pattern. It also names what was found of each term (``TagReason.words``): the alternative
of each part that matched, for a ``~`` term one that stands close to the next part — a term
may list forty alternatives, a reason that people read needs the two that counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from veille.models import ParsedEntry, TagRule
from veille.rules.context import chain, close, vetoes
from veille.rules.hosts import HostPatterns
from veille.rules.terms import NEAR, SITE, AtomIndex, atom_key, is_near, parse_term
from veille.text import Words, strip_html, words

__all__ = [
    "EDITOR_FIELD",
    "CompiledRules",
    "EntryText",
    "TagReason",
    "category_words",
    "compile_rules",
    "entry_words",
    "tag",
    "tag_words",
    "tagging_words",
]

Field = Literal["title", "summary", "content", "category", "link", "source"]
# The field of a stored reason when an editor gave the theme (corrections win over rules).
EDITOR_FIELD = "editor"
TEXT_FIELDS: tuple[Field, ...] = ("title", "summary", "content", "category", "link")
_SEP = "\x00"  # between categories: never a token, so no phrase crosses it

# Points of a term by field (title, summary, content, category, link), and what a theme needs.
MATCH, WEAK, EXCLUDE, IGNORE = range(4)
POINTS = {MATCH: (4, 4, 4, 4, 4), WEAK: (3, 2, 1, 3, 2)}
TITLE, LINK = TEXT_FIELDS.index("title"), TEXT_FIELDS.index("link")
CONTENT = TEXT_FIELDS.index("content")
HEADLINE = -1  # where « a + b » terms are found across the title, the summary and the link
# The content is read up to this many words: its beginning says what it is about; further on
# come passing mentions (and the cost of tagging grows with every word).
CONTENT_WORDS = 300
NEEDED = 4
# « I.A. », « E.N.T. », « I.A.-I.P.R. », and without the last dot « I.A », « E.N.T »: two or
# more single letters, a dot between each.
_DOTTED_HINT = re.compile(r"\.[^\W\d_](?:\.|\b)")  # a literal first: scanned fast, rarely found
_DOTTED = re.compile(r"(?<![\w.])(?:[^\W\d_]\.)+[^\W\d_]\.?(?![\w])")


@dataclass(frozen=True, slots=True)
class TagReason:
    """Why a tag was given: the term (as written in feeds.yaml; weak terms that add up are
    joined by `` + ``), the field it was found in, and ``words``: the alternatives of the term
    that were found (``évaluati* ~ 6e`` for ``évaluati* ~ élève*|6e|…``), what people are
    shown (``shown``) — a term may list dozens of alternatives, the reason needs the few that
    matched. ``words`` is empty when it would say the same as ``term``.

    For ``field == "source"`` the term is the feed tag itself; for ``"link"``, the host
    pattern that the entry's link matched.
    """

    field: Field
    term: str
    words: str = ""

    @property
    def shown(self) -> str:
        """What was found (stored, shown by the API and the CLI): ``words`` or the term."""
        return self.words or self.term


@dataclass(frozen=True, slots=True)
class EntryText:
    """What the rules look at: plain-text fields, the entry's link and the feed's own tags."""

    title: str = ""
    summary: str = ""
    content: str = ""
    categories: tuple[str, ...] = ()
    feed_tags: tuple[str, ...] = ()
    url: str | None = None

    @classmethod
    def from_entry(cls, entry: ParsedEntry, feed_tags: Iterable[str] = ()) -> EntryText:
        return cls(
            title=entry.title,
            summary=strip_html(entry.summary_html),
            content=strip_html(entry.content_html),
            categories=entry.categories,
            feed_tags=tuple(feed_tags),
            url=entry.url,
        )


def tagging_words(text: str, plain: Words | None = None) -> Words:
    """The words the rules see in ``text``: ``text.words`` with dotted acronyms joined
    (« I.A. » → « IA »). ``plain`` (``words(text)``, when the caller has it) is returned
    as is for a text without dotted acronyms."""
    if "." in text and _DOTTED_HINT.search(text) and _DOTTED.search(text):
        return words(_DOTTED.sub(lambda m: m.group().replace(".", ""), text))
    return plain if plain is not None else words(text)


@dataclass(frozen=True, slots=True)
class _Term:
    rule: int
    role: int  # MATCH, WEAK, EXCLUDE or IGNORE
    order: int  # in the rule's terms (match, weak, exclude, ignore): the first found is named
    text: str
    full: int  # bit mask of its parts: a term is found when every part is
    near: tuple[frozenset[int], ...] = ()  # ``a ~ b``: the atoms of each part, to be close
    parts: tuple[tuple[int, ...], ...] = ()  # the atoms of each part, in the term's order


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """The rules, indexed for matching (build with ``compile_rules``)."""

    rules: tuple[TagRule, ...]
    index: AtomIndex
    terms: tuple[_Term, ...]
    uses: dict[int, tuple[tuple[int, int], ...]]  # atom -> (term, part)
    term_atoms: tuple[frozenset[int], ...]  # term -> its atoms
    rule_atoms: tuple[frozenset[int], ...]  # rule -> the atoms of its match and weak terms
    hosts: HostPatterns  # the ``site:`` atoms, keyed by atom


def compile_rules(rules: Sequence[TagRule]) -> CompiledRules:
    """Index the rules once; raises ValueError (French) on a term that cannot be used."""
    keys: dict[str, int] = {}  # atom key -> atom (``jeu`` and ``jeux`` are one atom)
    atoms: list[str] = []
    terms: list[_Term] = []
    uses: dict[int, list[tuple[int, int]]] = {}
    for r, rule in enumerate(rules):
        roles = (
            *((MATCH, t, t) for t in rule.match),
            *((MATCH, SITE + h, h) for h in rule.hosts),  # named by the pattern alone
            *((WEAK, t, t) for t in rule.weak),
            *((EXCLUDE, t, t) for t in rule.exclude),
            *((IGNORE, t, t) for t in rule.ignore),
        )
        seen: set[tuple[int, tuple[frozenset[int], ...]]] = set()
        for order, (role, text, name) in enumerate(roles):
            try:
                ordered = tuple(
                    tuple(dict.fromkeys(map(_atom_id(keys, atoms), part)))
                    for part in parse_term(text)
                )
            except ValueError as e:
                raise ValueError(f"thème « {rule.name} » : {e}") from e
            parts = [frozenset(part) for part in ordered]
            if (role, tuple(parts)) in seen:
                continue  # the same term again (« jeu » and « jeux »): it counts once
            seen.add((role, tuple(parts)))
            for p, part in enumerate(parts):
                for a in part:
                    uses.setdefault(a, []).append((len(terms), p))
            close = tuple(parts) if is_near(text) else ()
            terms.append(_Term(r, role, order, name, (1 << len(parts)) - 1, close, ordered))
    try:
        index = AtomIndex.build(atoms)
    except ValueError as e:
        raise ValueError(f"thème : {e}") from e
    term_atoms: list[set[int]] = [set() for _ in terms]
    for a, used in uses.items():
        for t, _ in used:
            term_atoms[t].add(a)
    rule_atoms: list[set[int]] = [set() for _ in rules]
    for t, term in enumerate(terms):
        if term.role in (MATCH, WEAK):
            rule_atoms[term.rule] |= term_atoms[t]
    return CompiledRules(
        rules=tuple(rules),
        index=index,
        terms=tuple(terms),
        uses={a: tuple(dict.fromkeys(u)) for a, u in uses.items()},
        term_atoms=tuple(map(frozenset, term_atoms)),
        rule_atoms=tuple(map(frozenset, rule_atoms)),
        hosts=HostPatterns.build(
            [(a, atom.removeprefix(SITE)) for a, atom in enumerate(atoms) if atom.startswith(SITE)]
        ),
    )


def _atom_id(keys: dict[str, int], atoms: list[str]) -> Callable[[str], int]:
    def atom_id(atom: str) -> int:
        key = atom_key(atom)
        if key not in keys:
            keys[key] = len(atoms)
            atoms.append(atom)
        return keys[key]

    return atom_id


def tag(entry: EntryText, compiled: CompiledRules) -> dict[str, TagReason]:
    """Tags of ``entry`` (sorted by name), each with the reason it was given."""
    return tag_words(entry_words(entry), entry.feed_tags, compiled, entry.url)


def entry_words(entry: EntryText) -> tuple[Words | None, ...]:
    """The words of each field of ``entry`` as ``tag_words`` reads them."""
    return (
        tagging_words(entry.title) if entry.title else None,
        tagging_words(entry.summary) if entry.summary else None,
        # many feeds repeat the summary as content: no need to look twice
        # the content (long) is not searched for dotted acronyms
        words(entry.content) if entry.content and entry.content != entry.summary else None,
        category_words([tagging_words(c) for c in entry.categories]) if entry.categories else None,
    )


def category_words(categories: Sequence[Words]) -> Words:
    """The categories as one field, a separator after each so that no phrase crosses them."""
    toks: list[str] = []
    stems: list[str] = []
    for category in categories:
        toks += category.tokens
        toks.append(_SEP)
        stems += category.stems
        stems.append(_SEP)
    return Words(toks, stems)


def tag_words(
    fields: Sequence[Words | None],
    feed_tags: Iterable[str],
    compiled: CompiledRules,
    url: str | None = None,
) -> dict[str, TagReason]:
    """``tag`` from the words of each field (title, summary, content, categories; None for an
    empty field or a content that repeats the summary; see ``tagging_words``), when the
    caller already has them, and the entry's link."""
    terms = compiled.terms
    found: dict[int, dict[int, tuple[int, int, int]]] = {}  # rule -> term -> (points, field, place)
    vetoed: dict[int, int] = {}  # rule -> the first field a veto was found in
    headline: list[set[int]] = []  # atoms of the title and the summary (for « a + b »)
    # where terms were found, for the reason's words: a field's atoms and words (by field;
    # HEADLINE: the title, the summary and the link read together)
    places: dict[int, tuple[set[int], Words | None]] = {}

    def add(t: int, f: int, place: int) -> None:
        term = terms[t]
        if term.role == EXCLUDE:
            # a veto that names the link or spans the headline concerns the whole entry
            at = TITLE if place == HEADLINE or f == LINK else f
            vetoed[term.rule] = min(at, vetoed.get(term.rule, at))
        elif term.role != IGNORE:
            points = POINTS[term.role][f]
            best = found.setdefault(term.rule, {})
            if t not in best or points > best[t][0]:
                best[t] = (points, f, place)

    for f, field_words in enumerate(fields):
        if field_words is None:
            continue
        if f == CONTENT and len(field_words.tokens) > CONTENT_WORDS:
            field_words = Words(
                field_words.tokens[:CONTENT_WORDS], field_words.stems[:CONTENT_WORDS]
            )
        in_field, atoms = _terms_in(field_words, compiled)
        places[f] = (atoms, field_words)
        for t in in_field:
            add(t, f, f)
        if f < 2:
            headline.append(atoms)
    link = {a for a, _ in compiled.hosts.matches(url)}
    places[LINK] = (link, None)
    for t in _complete(link, compiled):
        add(t, LINK, LINK)
    if len(headline) + bool(link) > 1:
        # « a + b » also across the title, the summary (read together as the headline) and
        # the link
        places[HEADLINE] = (set().union(link, *headline), None)
        for t in _complete(places[HEADLINE][0], compiled):
            if terms[t].full > 1 and not terms[t].near and t not in found.get(terms[t].rule, {}):
                add(t, 1, HEADLINE)
    result = {name: TagReason("source", name) for name in feed_tags}
    for r, by_term in found.items():
        name = compiled.rules[r].name
        if name not in result:
            reason = _reason(by_term, compiled, places)
            if reason is not None and not vetoes(vetoed.get(r), TEXT_FIELDS.index(reason.field)):
                result[name] = reason
    return dict(sorted(result.items()))


def _reason(
    by_term: dict[int, tuple[int, int, int]],
    compiled: CompiledRules,
    places: dict[int, tuple[set[int], Words | None]],
) -> TagReason | None:
    """The reason of a theme from its terms found ``{term: (points, field, place)}``, if
    enough."""
    terms = compiled.terms
    strong = [(f, terms[t].order, t) for t, (points, f, _) in by_term.items() if points >= NEEDED]
    if strong:
        f, _, t = min(strong)
        return _named(TEXT_FIELDS[f], [t], by_term, compiled, places)
    if sum(points for points, _, _ in by_term.values()) < NEEDED:
        return None
    ranked = sorted(by_term, key=lambda t: (by_term[t][1], terms[t].order))
    return _named(TEXT_FIELDS[by_term[ranked[0]][1]], ranked, by_term, compiled, places)


def _named(
    field: Field,
    chosen: list[int],
    by_term: dict[int, tuple[int, int, int]],
    compiled: CompiledRules,
    places: dict[int, tuple[set[int], Words | None]],
) -> TagReason:
    """The reason naming the ``chosen`` terms (joined by `` + ``), with what was found of each
    where it was found."""
    terms = compiled.terms
    term = " + ".join(terms[t].text for t in chosen)
    words = " + ".join(_found(t, *places[by_term[t][2]], compiled) for t in chosen)
    return TagReason(field, term, "" if words == term else words)


def _found(t: int, atoms: set[int], field_words: Words | None, compiled: CompiledRules) -> str:
    """The alternatives of term ``t`` found among ``atoms`` (the first found of each part; of
    a ``~`` term, one that stands close to the next part), written as in the term."""
    term = compiled.terms[t]
    chosen: list[int] | None = None
    if term.near and field_words is not None:
        chosen = chain(term.near, atoms, compiled.index.positions(field_words))
    if chosen is None:
        chosen = [next((a for a in part if a in atoms), part[0]) for part in term.parts]
    written = [compiled.index.atoms[a].removeprefix(SITE) for a in chosen]
    return (NEAR if term.near else " + ").join(written)


def _terms_in(field_words: Words, compiled: CompiledRules) -> tuple[set[int], set[int]]:
    """Every term found in one field (context exclusions applied), and the atoms found there
    (less those that only occur inside an ignored phrase)."""
    atoms = compiled.index.find(field_words)
    if not atoms:
        return set(), atoms
    terms = compiled.terms
    found = _close(_complete(atoms, compiled), atoms, field_words, compiled)
    masking = {terms[t].rule for t in found if terms[t].role == IGNORE}
    for r in masking:
        # Context exclusions: the occurrences of this rule's atoms that lie inside one of its
        # ignored phrases are dropped, then its terms are looked for again.
        mine = atoms & compiled.rule_atoms[r]
        if not mine:
            continue
        masked: set[int] = set()
        for t in found:
            if terms[t].rule == r and terms[t].role == IGNORE:
                for a in compiled.term_atoms[t] & atoms:
                    for start, end in compiled.index.spans(a, field_words):
                        masked.update(range(start, end))
        hidden = {a for a in mine if not _outside(a, masked, field_words, compiled)}
        if not hidden:
            continue
        atoms = atoms - hidden
        again = {t for t in _complete(atoms, compiled) if terms[t].rule == r}
        again = _close(again, atoms, field_words, compiled)
        found = {t for t in found if terms[t].rule != r or terms[t].role == IGNORE} | again
    return found, atoms


def _close(
    found: set[int], atoms: set[int], field_words: Words, compiled: CompiledRules
) -> set[int]:
    """``found`` less the ``a ~ b`` terms whose parts do not stand close in this field."""
    terms = compiled.terms
    if not any(terms[t].near for t in found):
        return found
    return close({t: terms[t].near for t in found}, atoms, field_words, compiled.index)


def _outside(atom: int, masked: set[int], field_words: Words, compiled: CompiledRules) -> bool:
    """Whether ``atom`` occurs somewhere outside the ``masked`` token positions."""
    spans = list(compiled.index.spans(atom, field_words))
    return not spans or any(not masked.issuperset(range(s, e)) for s, e in spans)


def _complete(atoms: Iterable[int], compiled: CompiledRules) -> set[int]:
    """The terms all of whose parts are among ``atoms``."""
    parts: dict[int, int] = {}
    uses = compiled.uses
    for a in atoms:
        for t, p in uses.get(a, ()):
            parts[t] = parts.get(t, 0) | (1 << p)
    terms = compiled.terms
    return {t for t, mask in parts.items() if mask == terms[t].full}
