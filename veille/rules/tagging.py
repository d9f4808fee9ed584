"""Tagging: the rules of feeds.yaml applied to an entry's text, each tag with its reason.

Pure: ``compile_rules(config.tags)`` once, then ``tag(EntryText(...), compiled)`` per entry.

Term semantics (the README, « Thèmes et règles »); both the term and the text go through
``veille.text`` (see its docstring), so everything is case- and accent-insensitive:

* a **plain term** (``évaluation``, ``classe inversée``, ``IA``) matches whole words, or a
  phrase of consecutive words; words are compared after ``stem``, so light plurals match in
  both directions (``tablette`` ↔ ``Tablettes``, ``jeu d'évasion`` ↔ ``Jeux d’évasion``).
  ``IA`` is never found inside ``via``/``média``, ``ENT`` never inside ``enseignement``,
  ``Pix`` never inside ``pixel``; ``l'IA``/``l’IA`` contain the word ``IA`` (elisions are
  dropped on both sides, so ``jeu d'évasion`` is the phrase ``jeu evasion``);
* a **trailing ``*``** makes the last word a prefix of the (unstemmed) word of the text:
  ``tablette*``, ``dyslexi*``, ``classe invers*``;
* **``/…/``** is a regular expression, searched case-insensitively in the *normalised* text
  (``veille.text.normalize``: lower case, no accents, elisions dropped, words separated by
  single spaces, no punctuation); accents written in the pattern are folded too, so
  ``/évalu/`` works. Use ``\\b`` or spaces for word boundaries: ``/\\bgpt ?\\d/``;
* **exclude** terms (same syntax) *veto* the tag: if any of them is found in any field of the
  entry, the tag is not given by the rules (even if a match term is present too);
* the feed's own tags (``tags:`` of the source in feeds.yaml) are always given, reason
  ``source``, and are never vetoed.

Fields are title, summary, content (plain text: use ``text.strip_html`` or
``EntryText.from_entry``) and categories (each category is matched on its own: a phrase does
not run from one category into the next). The reason of a tag is the first field (in that
order) where it matched, with the first of the rule's terms found there.

Speed: each field is tokenised and stemmed once; one-word terms are dict lookups on the set of
stems, phrases are checked only where their first word occurs, prefixes go through one
``str.startswith(tuple)``, and only ``/regex/`` terms scan the normalised text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from veille.models import Config, ParsedEntry, TagRule
from veille.text import Words, fold, stem, strip_html, tokens, words

__all__ = [
    "CompiledRules",
    "EntryText",
    "RuleSet",
    "TagReason",
    "category_words",
    "compile_rules",
    "tag",
    "tag_words",
]

Field = Literal["title", "summary", "content", "category", "source"]
TEXT_FIELDS: tuple[Field, ...] = ("title", "summary", "content", "category")
_SEP = "\x00"  # between categories: never a token, so no phrase crosses it
_MAX_SEEN = 500_000


@dataclass(frozen=True, slots=True)
class TagReason:
    """Why a tag was given: the term (as written in feeds.yaml) and the field it was found in.

    For ``field == "source"`` the term is the feed tag itself.
    """

    field: Field
    term: str


@dataclass(frozen=True, slots=True)
class EntryText:
    """What the rules look at: plain-text fields and the feed's own tags."""

    title: str = ""
    summary: str = ""
    content: str = ""
    categories: tuple[str, ...] = ()
    feed_tags: tuple[str, ...] = ()

    @classmethod
    def from_entry(cls, entry: ParsedEntry, feed_tags: Iterable[str] = ()) -> EntryText:
        return cls(
            title=entry.title,
            summary=strip_html(entry.summary_html),
            content=strip_html(entry.content_html),
            categories=entry.categories,
            feed_tags=tuple(feed_tags),
        )


# A hit is (rule index, term index, is_exclude). Term indexes number match terms first, then
# exclude terms, so "the first term" is well defined for reasons.
_Hit = tuple[int, int, bool]
_Part = tuple[bool, str]  # (is_prefix, stem or prefix)


@dataclass(frozen=True, slots=True)
class _Phrase:
    rest: tuple[_Part, ...]  # the words after the first one
    hit: _Hit
    needed: frozenset[str]  # stems that must be present (all but a final prefix): cheap filter


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """The rules, indexed for matching (build with ``compile_rules``)."""

    rules: tuple[TagRule, ...]
    terms: tuple[tuple[str, ...], ...]  # per rule: match terms then exclude terms
    words: dict[str, tuple[_Hit, ...]] = field(default_factory=dict)  # stem -> hits
    prefixes: dict[str, tuple[_Hit, ...]] = field(default_factory=dict)  # prefix -> hits
    phrases: dict[str, tuple[_Phrase, ...]] = field(default_factory=dict)  # first stem -> …
    regexes: tuple[tuple[re.Pattern[str], _Hit], ...] = ()
    prefix_tuple: tuple[str, ...] = ()  # the keys of ``prefixes``, for str.startswith
    # Words already looked at, and those that start with some prefix (-> its hits): after a
    # while every entry's words are known and prefixes cost two set operations per field.
    _seen: set[str] = field(default_factory=set, repr=False, compare=False)
    _prefixed: dict[str, tuple[_Hit, ...]] = field(default_factory=dict, repr=False, compare=False)


def compile_rules(rules: Sequence[TagRule]) -> CompiledRules:
    """Index the rules once; raises ValueError (French) on a term that cannot be used."""
    words: dict[str, list[_Hit]] = {}
    prefixes: dict[str, list[_Hit]] = {}
    phrases: dict[str, list[_Phrase]] = {}
    regexes: list[tuple[re.Pattern[str], _Hit]] = []
    for r, rule in enumerate(rules):
        all_terms = (*rule.match, *rule.exclude)
        for t, term in enumerate(all_terms):
            hit = (r, t, t >= len(rule.match))
            if len(term) >= 2 and term[0] == term[-1] == "/":
                try:
                    regexes.append((re.compile(fold(term[1:-1]), re.IGNORECASE), hit))
                except re.error as e:
                    raise ValueError(f"thème « {rule.name} » : « {term} » invalide : {e}") from e
                continue
            is_prefix = term.endswith("*")
            words_of_term = tokens(term.rstrip("*"))
            if not words_of_term:
                raise ValueError(f"thème « {rule.name} » : terme « {term} » sans mot")
            parts: list[_Part] = [(False, stem(w)) for w in words_of_term]
            if is_prefix:
                parts[-1] = (True, words_of_term[-1])
            if len(parts) == 1:
                index = prefixes if is_prefix else words
                index.setdefault(parts[0][1], []).append(hit)
            else:
                needed = frozenset(v for is_p, v in parts if not is_p)
                phrases.setdefault(parts[0][1], []).append(_Phrase(tuple(parts[1:]), hit, needed))
    return CompiledRules(
        rules=tuple(rules),
        terms=tuple((*rule.match, *rule.exclude) for rule in rules),
        words={k: tuple(v) for k, v in words.items()},
        prefixes={k: tuple(v) for k, v in prefixes.items()},
        phrases={k: tuple(v) for k, v in phrases.items()},
        regexes=tuple(regexes),
        prefix_tuple=tuple(prefixes),
    )


def tag(entry: EntryText, compiled: CompiledRules) -> dict[str, TagReason]:
    """Tags of ``entry`` (sorted by name), each with the reason it was given."""
    fields = (
        words(entry.title) if entry.title else None,
        words(entry.summary) if entry.summary else None,
        # many feeds repeat the summary as content: no need to look twice
        words(entry.content) if entry.content and entry.content != entry.summary else None,
        category_words([words(c) for c in entry.categories]) if entry.categories else None,
    )
    return tag_words(fields, entry.feed_tags, compiled)


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
    fields: Sequence[Words | None], feed_tags: Iterable[str], compiled: CompiledRules
) -> dict[str, TagReason]:
    """``tag`` from the words of each field (title, summary, content, categories; None for an
    empty field or a content that repeats the summary), when the caller already has them."""
    best: dict[int, tuple[int, int]] = {}  # rule -> (field index, term index)
    vetoed: set[int] = set()
    for f, field_words in enumerate(fields):
        if field_words is None:
            continue
        for r, t, is_exclude in _hits(field_words, compiled):
            if is_exclude:
                vetoed.add(r)
            elif r not in best or (f, t) < best[r]:
                best[r] = (f, t)
    result = {name: TagReason("source", name) for name in feed_tags}
    for r, (f, t) in best.items():
        name = compiled.rules[r].name
        if r not in vetoed and name not in result:
            result[name] = TagReason(TEXT_FIELDS[f], compiled.terms[r][t])
    return dict(sorted(result.items()))


def _hits(field_words: Words, compiled: CompiledRules) -> Iterable[_Hit]:
    """Every (rule, term, exclude) found in one field."""
    toks, stems = field_words
    present = set(stems)
    words, phrases = compiled.words, compiled.phrases
    for s in present.intersection(words):
        yield from words[s]
    for s in present.intersection(phrases):
        for phrase in phrases[s]:
            if phrase.needed <= present and _phrase_at(phrase.rest, s, toks, stems):
                yield phrase.hit
    if compiled.prefixes:
        words_here = set(toks)
        _learn_prefixes(compiled, words_here - compiled._seen)
        for w in words_here.intersection(compiled._prefixed):
            yield from compiled._prefixed[w]
    if compiled.regexes:
        normalised = " ".join(toks)
        for pattern, hit in compiled.regexes:
            if pattern.search(normalised):
                yield hit


def _learn_prefixes(compiled: CompiledRules, new_words: set[str]) -> None:
    if len(compiled._seen) > _MAX_SEEN:  # a bound, should a feed send random garbage
        compiled._seen.clear()
        compiled._prefixed.clear()
    starts = compiled.prefix_tuple
    for w in new_words:
        if w.startswith(starts):
            found = (h for p, hs in compiled.prefixes.items() if w.startswith(p) for h in hs)
            compiled._prefixed[w] = tuple(found)
    compiled._seen.update(new_words)


def _phrase_at(rest: tuple[_Part, ...], first: str, toks: list[str], stems: list[str]) -> bool:
    """Whether the phrase (first stem, then ``rest``) occurs somewhere in the text."""
    n, i = len(stems), -1
    while True:
        try:
            i = stems.index(first, i + 1)
        except ValueError:
            return False
        if i + len(rest) >= n:
            return False
        for k, (is_prefix, value) in enumerate(rest, start=i + 1):
            if not (toks[k].startswith(value) if is_prefix else stems[k] == value):
                break
        else:
            return True


@dataclass(frozen=True, slots=True)
class RulesSpec:
    """A ``RuleSet`` as data (see ``RuleSet.spec``); ``fingerprint`` identifies it."""

    fingerprint: str
    rules: tuple[TagRule, ...]
    feed_tags: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The taxonomy of a config plus each feed's own tags, ready to tag stored entries.

    ``fingerprint`` changes whenever anything that decides tags changes (rules or feed tags):
    the store remembers the fingerprint it last tagged with, and a different one means a retag.
    """

    compiled: CompiledRules
    feed_tags: dict[str, tuple[str, ...]]
    fingerprint: str

    @classmethod
    def from_config(cls, config: Config) -> RuleSet:
        return cls.build(config.tags, {f.id: f.tags for f in config.feeds})

    @classmethod
    def build(cls, rules: Sequence[TagRule], feed_tags: dict[str, tuple[str, ...]]) -> RuleSet:
        payload = json.dumps(
            [
                [[r.name, list(r.match), list(r.exclude)] for r in rules],
                sorted([feed, list(tags)] for feed, tags in feed_tags.items()),
            ],
            ensure_ascii=False,
        )
        return cls(
            compiled=compile_rules(rules),
            feed_tags=dict(feed_tags),
            fingerprint=hashlib.sha256(payload.encode()).hexdigest()[:16],
        )

    @property
    def spec(self) -> RulesSpec:
        """What rebuilds these rules elsewhere (a worker process): small and picklable."""
        return RulesSpec(self.fingerprint, self.compiled.rules, tuple(self.feed_tags.items()))

    def tag_fields(
        self,
        feed_id: str,
        title: str,
        summary_html: str,
        content_html: str,
        categories: tuple[str, ...],
    ) -> dict[str, TagReason]:
        """Tags of one entry from its stored fields (HTML is stripped here)."""
        text = EntryText(
            title=title,
            summary=strip_html(summary_html),
            content=strip_html(content_html),
            categories=categories,
            feed_tags=self.feed_tags.get(feed_id, ()),
        )
        return tag(text, self.compiled)

    def tag_entry(self, feed_id: str, entry: ParsedEntry) -> dict[str, TagReason]:
        return self.tag_fields(
            feed_id, entry.title, entry.summary_html, entry.content_html, entry.categories
        )


@dataclass(frozen=True, slots=True)
class TagPreview:
    """A dry run of the rules over stored entries (``veille tags test``)."""

    entries: int
    counts: dict[str, int]  # tag -> entries the rules give it to
    untagged: int  # entries with no tag at all (feed tags aside)
    samples: dict[str, list[tuple[str, TagReason]]]  # tag -> [(title, reason)], a few each
    untagged_samples: list[str]


def preview(
    rows: Iterable[tuple[int, str, str, str, str, tuple[str, ...]]],
    rules: RuleSet,
    *,
    per_tag: int = 3,
) -> TagPreview:
    """Apply ``rules`` to ``(id, feed, title, summary_html, content_html, categories)`` rows."""
    counts: dict[str, int] = {r.name: 0 for r in rules.compiled.rules}
    samples: dict[str, list[tuple[str, TagReason]]] = {}
    untagged_samples: list[str] = []
    entries = untagged = 0
    for _id, feed_id, title, summary, content, categories in rows:
        entries += 1
        tags = rules.tag_fields(feed_id, title, summary, content, categories)
        themes = {name: r for name, r in tags.items() if r.field != "source"}
        if not themes:
            untagged += 1
            if len(untagged_samples) < per_tag * 3:
                untagged_samples.append(title)
        for name, reason in themes.items():
            counts[name] = counts.get(name, 0) + 1
            found = samples.setdefault(name, [])
            if len(found) < per_tag:
                found.append((title, reason))
    return TagPreview(entries, counts, untagged, samples, untagged_samples)
