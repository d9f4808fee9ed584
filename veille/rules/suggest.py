"""Rule changes learnt from editors' corrections (``veille tags suggest``): pure.

An editor's verdict says that a theme belongs to an entry (``added``) or not. Where the rules
disagree, changes of the theme's rules that would make them agree are proposed:

* the theme was **added** by the editor: a term to add to ``match`` — a content word of the
  entry's title (then of its summary), two consecutive ones, or « X de Y »; or, when one of
  the theme's ``exclude`` terms vetoes it there, that term to remove;
* the theme was **removed** by the editor: for the term that gave it (the reason of the
  tag), a context to ``ignore`` (the term with the word before or after it, « tablette de
  chocolat »), or the term to remove from ``match``/``weak`` (a host pattern from ``hosts``).

Each candidate is measured by running the tagger with the change over the stored entries
given (``sample``: the command passes the recent ones) and over every corrected entry:

* ``gained`` / ``lost`` — entries *without* a verdict on the theme that would get it / lose
  it (what readers would see change; the corrected ones follow their verdict anyway);
* ``satisfied`` — verdicts on the theme that the rules would now agree with, ``broken`` —
  verdicts they agree with today and would no longer.

Candidates that satisfy no verdict are dropped, and so are those another candidate of the
theme plainly beats (it satisfies every verdict they do, breaks none they keep, changes no
more entries, and does strictly better on the verdicts); for each verdict its best three
are kept.
Ranking: satisfied − broken (highest first), then fewest entries changed, then the shortest
term. Only the changed theme is re-run (a theme's tag never depends on another theme's
rules), and an entry is re-run only when the change can flip it: an added term is looked for
only where all its words occur, a context only where the theme is given today.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from veille.models import TagRule
from veille.rules.story import STOP_WORDS
from veille.rules.tagging import (
    CompiledRules,
    EntryText,
    TagReason,
    compile_rules,
    entry_words,
    tag_words,
)
from veille.rules.terms import AtomIndex, atom_key, parse_term
from veille.text import ELISIONS, Words, stem, tokens

__all__ = ["Proposal", "RuleChange", "Suggestions", "Verdict", "suggest"]

Key = Literal["match", "weak", "ignore", "exclude", "hosts"]
PER_VERDICT = 3  # best candidates kept for each verdict
CANDIDATES = 40  # candidate terms tried per verdict
EXAMPLES = 3
# A change is too broad when it changes more than this share of the entries examined (and
# more than BROAD_MIN): a word found everywhere (« lycée », « scolaire ») is no theme's term.
BROAD_SHARE = 0.02
BROAD_MIN = 20
_ORDER = {"match": 0, "ignore": 1, "weak": 2, "exclude": 3, "hosts": 4}
# A word of the text as written, with an elided particle before it (« l'IA », « d'évasion »).
_SURFACE = re.compile(rf"(?:\b(?:{'|'.join(ELISIONS)})['’ʼ‘](?=[^\W_]))?[^\W_]+", re.IGNORECASE)
_ELIDED = re.compile(r"^[^\W\d_]+['’ʼ‘]")
_OF = ("de", "des", "du", "d")  # « note de service », « jeu d'évasion »
_PLAIN_TERM = re.compile(r"[^*|+/:]*")  # no prefix, alternative, regex or site: in it


@dataclass(frozen=True, slots=True)
class Verdict:
    """An editor's correction: ``tag`` belongs to the entry ``entry_id`` or not."""

    entry_id: str
    tag: str
    added: bool


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One edit of feeds.yaml: ``term`` added to (or removed from) the list ``key`` of the
    theme ``theme``; for a context (``ignore``), ``about`` is the term it silences."""

    theme: str
    key: Key
    add: bool
    term: str
    about: str = ""

    @property
    def code(self) -> str:
        """A short stable name of the change: the same proposal keeps it from run to run."""
        text = f"{self.theme}\x00{self.key}\x00{int(self.add)}\x00{self.term}"
        return hashlib.sha256(text.encode()).hexdigest()[:6]

    def apply(self, rule: TagRule) -> TagRule:
        terms: tuple[str, ...] = getattr(rule, self.key)
        changed = (*terms, self.term) if self.add else tuple(t for t in terms if t != self.term)
        return replace(rule, **{str(self.key): changed})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Proposal:
    """A change with what it would do (see the module docstring)."""

    change: RuleChange
    gained: int
    lost: int
    satisfied: tuple[str, ...]  # entry ids of the verdicts it satisfies
    broken: tuple[str, ...]
    examples: tuple[str, ...]  # titles of entries it changes (a few)

    @property
    def changed(self) -> int:
        return self.gained + self.lost

    def rank(self) -> tuple[int, int, int, int, str]:
        c = self.change
        score = len(self.satisfied) - len(self.broken)
        return (-score, self.changed, len(c.term), _ORDER[c.key], c.term)


@dataclass(frozen=True, slots=True)
class Suggestions:
    proposals: tuple[Proposal, ...]
    entries: int  # entries examined (sample and corrected ones)
    verdicts: int  # verdicts on themes of the rules
    agreeing: int  # verdicts the rules already agree with
    unexplained: tuple[tuple[Verdict, str], ...]  # with why nothing is proposed (French)
    too_broad: int = 0  # useful changes left out: they would change too many entries


@dataclass
class _Candidate:
    change: RuleChange
    compiled: CompiledRules
    gains: bool  # the change can only give the theme (else only take it away)
    needed: frozenset[str] | None  # stems an entry must hold to be changed (None: any)
    flips: dict[str, bool] = field(default_factory=dict)  # entry id -> rules' new verdict
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Prepared:
    id: str
    title: str
    fields: tuple[Words | None, ...]
    stems: frozenset[str]
    text: EntryText


def suggest(
    verdicts: Sequence[Verdict],
    corrected: Mapping[str, EntryText],
    sample: Iterable[tuple[str, EntryText]],
    rules: Sequence[TagRule],
    *,
    broad: bool = False,
) -> Suggestions:
    """Proposals from ``verdicts`` (see the module docstring). ``corrected`` holds the
    entries of the verdicts (an entry missing there is skipped), ``sample`` the other stored
    entries to measure on, as ``(id, EntryText)`` (feed tags included). ``broad``: keep the
    changes that are too broad (``too_broad``)."""
    by_name = {r.name: r for r in rules}
    verdicts = [v for v in verdicts if v.tag in by_name and v.entry_id in corrected]
    everything = compile_rules(rules)
    prepared = {i: _prepare(i, e) for i, e in corrected.items()}
    now = {v: v.tag in _tags(everything, prepared[v.entry_id]) for v in verdicts}
    candidates: dict[RuleChange, _Candidate] = {}
    same: dict[tuple[str, str, bool, str], RuleChange] = {}  # one change per atom key
    origins: dict[Verdict, list[RuleChange]] = {}
    unexplained: list[tuple[Verdict, str]] = []
    for v in verdicts:
        if now[v] == v.added:
            continue
        entry, rule = prepared[v.entry_id], by_name[v.tag]
        if v.added:
            changes, why = _to_give(rule, entry), "aucun mot du titre ni du résumé ne convient"
        else:
            changes, why = _to_take(rule, entry, everything)
        changes = [same.setdefault(_key(c), c) for c in changes]
        origins[v] = list(dict.fromkeys(changes))
        for change in changes:
            if change not in candidates:
                candidates[change] = _candidate(change, by_name[change.theme])
        if not changes:
            unexplained.append((v, why))
    verdict_of = {(v.entry_id, v.tag): v for v in verdicts}
    seen = 0
    for entry in _entries(prepared, sample):
        seen += 1
        _measure(entry, candidates, everything, verdict_of)
    proposals = {c.change: _proposal(c, verdicts, now) for c in candidates.values()}
    useful = [p for p in proposals.values() if p.satisfied]
    most = max(BROAD_MIN, int(BROAD_SHARE * seen))
    too_broad = {p.change for p in useful if p.changed > most}
    if not broad:
        useful = [p for p in useful if p.change not in too_broad]
    kept: set[RuleChange] = set()
    for v, changes in origins.items():
        mine = [p for p in useful if p.change in changes and v.entry_id in p.satisfied]
        mine = [p for p in mine if not any(_dominates(q, p) for q in useful)]
        kept.update(p.change for p in sorted(mine, key=Proposal.rank)[:PER_VERDICT])
        if changes and not mine:
            unexplained.append((v, "aucune modification essayée ne suffit"))
    return Suggestions(
        proposals=tuple(sorted((proposals[c] for c in kept), key=Proposal.rank)),
        entries=seen,
        verdicts=len(verdicts),
        agreeing=sum(now[v] == v.added for v in verdicts),
        unexplained=tuple(unexplained),
        too_broad=len(too_broad) if not broad else 0,
    )


def _dominates(q: Proposal, p: Proposal) -> bool:
    """Whether ``q`` is plainly better than ``p``: on the same theme, it satisfies every
    verdict ``p`` does, breaks none that ``p`` keeps, changes no more entries, and is
    strictly better on the verdicts."""
    if q.change.theme != p.change.theme or q is p or q.changed > p.changed:
        return False
    sq, sp, bq, bp = set(q.satisfied), set(p.satisfied), set(q.broken), set(p.broken)
    return sq >= sp and bq <= bp and (sq > sp or bq < bp)


def _prepare(entry_id: str, text: EntryText) -> _Prepared:
    fields = entry_words(text)
    stems = frozenset(s for f in fields if f is not None for s in f.stems)
    return _Prepared(entry_id, text.title, fields, stems, text)


def _entries(
    prepared: Mapping[str, _Prepared], sample: Iterable[tuple[str, EntryText]]
) -> Iterator[_Prepared]:
    yield from prepared.values()
    for entry_id, text in sample:
        if entry_id not in prepared:
            yield _prepare(entry_id, text)


def _tags(compiled: CompiledRules, entry: _Prepared) -> dict[str, TagReason]:
    return tag_words(entry.fields, entry.text.feed_tags, compiled, entry.text.url)


def _has(compiled: CompiledRules, entry: _Prepared, theme: str) -> bool:
    return theme in _tags(compiled, entry)


def _key(change: RuleChange) -> tuple[str, str, bool, str]:
    """Changes with equal keys have equal effects (« lycée » and « lycées »)."""
    return change.theme, change.key, change.add, atom_key(change.term)


def _candidate(change: RuleChange, rule: TagRule) -> _Candidate:
    gains = change.add != (change.key in ("ignore", "exclude"))
    if change.key == "match" and change.add and len(parse_term(change.term)) == 1:
        # Measured only where the theme is not given: there a strong term gives it alone,
        # unless it is vetoed or in an ignored context. The theme's other terms need not
        # be looked for again (a much smaller index, for every entry).
        alone = TagRule(rule.name, rule.label, (change.term,), rule.exclude, ignore=rule.ignore)
        return _Candidate(change, compile_rules([alone]), gains, _needed(change))
    return _Candidate(change, compile_rules([change.apply(rule)]), gains, _needed(change))


def _needed(change: RuleChange) -> frozenset[str] | None:
    """The stems every entry that the change can flip holds (None: no such shortcut)."""
    if change.key in ("exclude", "hosts") or not _PLAIN_TERM.fullmatch(change.term):
        return None
    return frozenset(stem(t) for t in tokens(change.term)) or None


def _measure(
    entry: _Prepared,
    candidates: Mapping[RuleChange, _Candidate],
    everything: CompiledRules,
    verdict_of: Mapping[tuple[str, str], Verdict],
) -> None:
    before: dict[str, TagReason] | None = None  # the themes the rules give it today
    for c in candidates.values():
        if c.needed is not None and not c.needed <= entry.stems:
            continue
        theme = c.change.theme
        if before is None:
            before = _tags(everything, entry)
        if (theme in before) == c.gains:
            continue  # already what the change can make of it
        after = _has(c.compiled, entry, theme)
        if after != (theme in before):
            c.flips[entry.id] = after
            if (entry.id, theme) not in verdict_of and len(c.examples) < EXAMPLES:
                c.examples.append(entry.title)


def _proposal(c: _Candidate, verdicts: Sequence[Verdict], now: Mapping[Verdict, bool]) -> Proposal:
    theme = c.change.theme
    mine = [v for v in verdicts if v.tag == theme]
    judged = {v.entry_id for v in mine}
    after = {v: c.flips.get(v.entry_id, now[v]) for v in mine}
    return Proposal(
        change=c.change,
        gained=sum(1 for i, a in c.flips.items() if a and i not in judged),
        lost=sum(1 for i, a in c.flips.items() if not a and i not in judged),
        satisfied=tuple(v.entry_id for v in mine if now[v] != v.added and after[v] == v.added),
        broken=tuple(v.entry_id for v in mine if now[v] == v.added and after[v] != v.added),
        examples=tuple(c.examples),
    )


# --- candidates ------------------------------------------------------------------------------


def _to_give(rule: TagRule, entry: _Prepared) -> list[RuleChange]:
    """Changes that could give ``rule``'s theme to ``entry``."""
    changes = []
    for term in rule.exclude:  # a veto found in the entry: without it the theme may come
        without = compile_rules(
            [replace(rule, exclude=tuple(t for t in rule.exclude if t != term))]
        )
        if _has(without, entry, rule.name):
            changes.append(RuleChange(rule.name, "exclude", False, term))
    known = {atom_key(t) for t in rule.match}  # a weak term may become a strong one
    for phrase in _phrases(entry.text.title, entry.text.summary):
        if atom_key(phrase) not in known and len(changes) < CANDIDATES:
            known.add(atom_key(phrase))
            changes.append(RuleChange(rule.name, "match", True, phrase))
    return changes


def _phrases(*texts: str) -> Iterable[str]:
    """Content words, two consecutive ones and « X de Y » of ``texts``, as written."""
    for text in texts:
        words = _surface(text)
        keys = [tokens(w)[-1] for w in words]
        content = [k not in STOP_WORDS and not k.isdigit() and len(k) > 2 for k in keys]
        for i, word in enumerate(words):
            if content[i] and (len(keys[i]) > 3 or word.isupper()):
                yield _written(_ELIDED.sub("", word))  # « d'éducation » → « éducation »
        for i in range(len(words) - 1):
            if content[i] and content[i + 1]:
                yield f"{_written(words[i])} {_written(words[i + 1])}"
            if i + 2 < len(words) and content[i] and content[i + 2] and keys[i + 1] in _OF:
                yield " ".join(_written(w) for w in words[i : i + 3])


def _surface(text: str) -> list[str]:
    """The words of ``text`` as written (elided particle included); the folded words when
    the two readings do not line up (« I.A. », « M@gistère »)."""
    found = _SURFACE.findall(text)
    if len(found) != len(tokens(text)):
        return tokens(text)
    return found


def _written(word: str) -> str:
    """A word as a term is written: lower case, acronyms kept (« l'IA », « Pix » → « pix »)."""
    head, sep, tail = word.rpartition("'") if "'" in word else word.rpartition("’")
    if sep:
        return head.lower() + sep + _written(tail)
    return word if len(word) > 1 and word.isupper() else word.lower()


def _to_take(
    rule: TagRule, entry: _Prepared, compiled: CompiledRules
) -> tuple[list[RuleChange], str]:
    """Changes that could take ``rule``'s theme from ``entry`` (and why none, in French)."""
    reason = _tags(compiled, entry).get(rule.name)
    if reason is None or reason.field == "source":
        return [], "thème donné par la source elle-même (ses « tags »)"
    if reason.field == "link":
        return [RuleChange(rule.name, "hosts", False, reason.term)], ""
    named = [reason.term] if reason.term in (*rule.match, *rule.weak) else reason.term.split(" + ")
    changes = []
    for term in named:
        key: Key = "match" if term in rule.match else "weak"
        if term not in (*rule.match, *rule.weak):
            continue
        changes += [RuleChange(rule.name, "ignore", True, c, term) for c in _contexts(term, entry)]
        changes.append(RuleChange(rule.name, key, False, term))
    known = {atom_key(t) for t in rule.ignore}
    unique = [
        c for c in dict.fromkeys(changes) if c.key != "ignore" or atom_key(c.term) not in known
    ]
    return unique, "le terme en cause n'est pas un mot de la liste"


def _contexts(term: str, entry: _Prepared) -> list[str]:
    """Phrases around each occurrence of ``term`` in the entry: with the word after it (and
    the one after that, past « de »), or the one before (past « à l' »)."""
    parts = parse_term(term)
    if len(parts) != 1 or term.startswith("/"):
        return []
    index = AtomIndex.build([a for a in parts[0] if not a.startswith("site:")])
    out: list[str] = []
    texts = (entry.text.title, entry.text.summary, entry.text.content)
    for field_words, text in zip(entry.fields, texts, strict=False):
        if field_words is None:
            continue
        written = _surface(text)
        aligned = len(written) == len(field_words.tokens)
        shown = written if aligned else field_words.tokens
        for a in range(len(index.atoms)):
            for s, e in index.spans(a, field_words):
                toks = field_words.tokens
                after = e + 1 + (e + 1 < len(toks) and toks[e] in STOP_WORDS)
                before = s - 1 - (s >= 2 and toks[s - 1] in STOP_WORDS)
                if e < len(toks) and toks[after - 1] not in STOP_WORDS:
                    out.append(" ".join(_written(w) for w in shown[s:after]))
                if before >= 0 and toks[before] not in STOP_WORDS:
                    out.append(" ".join(_written(w) for w in shown[before:e]))
    return list(dict.fromkeys(out))
