"""Terms of the taxonomy: their syntax, and an index that finds them all in a text at once.

A **term** (as written in feeds.yaml) is made of *atoms*; both the term and the text go through
``veille.text`` (see its docstring), so everything is case- and accent-insensitive:

* a **word or phrase** (``évaluation``, ``classe inversée``, ``IA``) matches whole words, or a
  phrase of consecutive words; words are compared after ``stem``, so light plurals match in
  both directions (``tablette`` ↔ ``Tablettes``, ``jeu d'évasion`` ↔ ``Jeux d’évasion``).
  ``IA`` is never found inside ``via``/``média``, ``ENT`` never inside ``enseignement``;
  ``l'IA``/``l’IA`` contain the word ``IA`` (elisions are dropped on both sides);
* a **trailing ``*``** makes the last word a prefix of the (unstemmed) word of the text:
  ``tablette*``, ``dyslexi*``, ``classe invers*``;
* **``/…/``** is a regular expression, searched case-insensitively in the *normalised* text
  (``veille.text.normalize``: lower case, no accents, elisions dropped, words separated by
  single spaces, no punctuation); accents written in the pattern are folded too, so
  ``/évalu/`` works. Use ``\\b`` or spaces for word boundaries: ``/\\bgpt ?\\d/``.

* **``site:`` and a host pattern** (``site:ac-*.fr``, ``veille.rules.hosts``) is found when
  the entry's link is on such a host (never in the text).

Two operators combine atoms into one term (a ``/regex/`` term is never split):

* ``a | b`` — either (``Pronote | École directe``);
* ``a + b`` — both, in the same field (title, summary, content or one category), or in the
  title and summary read together (the headline) and the link:
  ``ministre | rectorat + annonce* | dévoile*`` is found in « Le ministre annonce un plan »,
  ``site:ac-*.fr + ENT | Pix`` in a page about Pix on an académie's site;
* ``a ~ b`` — both, close together: in the same field, at most ``context.NEAR_WORDS`` words
  between them (either order); ``a ~ b ~ c`` chains them. A term uses ``+`` or ``~``, not
  both; ``~`` takes words, phrases and prefixes, not ``/regex/`` or ``site:``.

Speed: a field is tokenised and stemmed once (``veille.text.words``); one-word atoms are dict
lookups on the set of its stems, phrases are checked only where their first word occurs,
prefixes go through one ``str.startswith(tuple)`` per new word, and only ``/regex/`` atoms
scan the normalised text. Positions (``spans``) are computed only when a context exclusion
needs them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from veille.text import Words, fold, stem, tokens

__all__ = ["NEAR", "SITE", "AtomIndex", "Positions", "atom_key", "is_near", "parse_term"]

SITE = "site:"
NEAR = " ~ "

_MAX_SEEN = 500_000
_Part = tuple[bool, str]  # (is_prefix, stem or prefix)


def parse_term(term: str) -> list[list[str]]:
    """The atoms of ``term``: a list of parts (all needed), each a list of alternatives."""
    if _is_regex(term):
        return [[term]]
    return [
        [a.strip() for a in part.split("|")]
        for part in term.split(NEAR if is_near(term) else " + ")
    ]


def is_near(term: str) -> bool:
    """Whether ``term`` is ``a ~ b``: parts that stand close (``veille.rules.context``)."""
    return NEAR in term and not _is_regex(term)


def atom_key(atom: str) -> str:
    """What decides an atom's matches: equal keys, equal matches (``jeu`` and ``jeux``)."""
    if _is_regex(atom) or atom.startswith(SITE):
        return atom
    return " ".join(("*" if p else "") + v for p, v in _parts(atom))


def _is_regex(term: str) -> bool:
    return len(term) >= 2 and term[0] == term[-1] == "/"


@dataclass(frozen=True, slots=True)
class _Phrase:
    rest: tuple[_Part, ...]  # the words after the first one
    atom: int
    needed: frozenset[str]  # stems that must be present (all but a final prefix): cheap filter


@dataclass(frozen=True, slots=True)
class AtomIndex:
    """Atoms (as written) indexed for matching; build with ``AtomIndex.build``."""

    atoms: tuple[str, ...]
    parsed: tuple[tuple[_Part, ...], ...]  # the words of each atom (none for regex or site:)
    words: dict[str, tuple[int, ...]] = field(default_factory=dict)  # stem -> atoms
    prefixes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # prefix -> atoms
    # Phrases by their first two stems (their first two words are plain words), else by their
    # first stem (the second word is a prefix). A field's pairs of consecutive stems are made
    # once (``set(pairwise(…))``, at C speed): a two-word phrase is found by one set lookup.
    pairs: dict[tuple[str, str], tuple[_Phrase, ...]] = field(default_factory=dict)
    phrases: dict[str, tuple[_Phrase, ...]] = field(default_factory=dict)
    regexes: tuple[tuple[re.Pattern[str], int], ...] = ()
    prefix_tuple: tuple[str, ...] = ()  # the keys of ``prefixes``, for str.startswith
    # the keys of ``words`` and ``phrases`` as sets: ``set & set`` walks the smaller one (a
    # field's few hundred stems), where ``set.intersection(dict)`` walks the whole vocabulary
    word_keys: frozenset[str] = frozenset()
    pair_keys: frozenset[tuple[str, str]] = frozenset()
    phrase_keys: frozenset[str] = frozenset()
    # Words already looked at, and those that start with some prefix (-> its atoms): after a
    # while every entry's words are known and prefixes cost two set operations per field.
    _seen: set[str] = field(default_factory=set, repr=False, compare=False)
    _prefixed: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)
    _prefixed_words: set[str] = field(default_factory=set, repr=False, compare=False)

    @classmethod
    def build(cls, atoms: Sequence[str]) -> AtomIndex:
        """Index ``atoms`` (each a word, phrase, prefix or /regex/); ValueError on a bad one."""
        words: dict[str, list[int]] = {}
        prefixes: dict[str, list[int]] = {}
        pairs: dict[tuple[str, str], list[_Phrase]] = {}
        phrases: dict[str, list[_Phrase]] = {}
        regexes: list[tuple[re.Pattern[str], int]] = []
        for a, atom in enumerate(atoms):
            if atom.startswith(SITE):
                continue  # matched against the link (``veille.rules.hosts``), not the text
            if _is_regex(atom):
                try:
                    regexes.append((re.compile(fold(atom[1:-1]), re.IGNORECASE), a))
                except re.error as e:
                    raise ValueError(f"« {atom} » invalide : {e}") from e
                continue
            parts = _parts(atom)
            if len(parts) == 1:
                index = prefixes if parts[0][0] else words
                index.setdefault(parts[0][1], []).append(a)
            else:
                needed = frozenset(v for is_p, v in parts if not is_p)
                phrase = _Phrase(tuple(parts[1:]), a, needed)
                (second_prefix, second) = parts[1]
                if second_prefix:
                    phrases.setdefault(parts[0][1], []).append(phrase)
                else:
                    pairs.setdefault((parts[0][1], second), []).append(phrase)
        return cls(
            atoms=tuple(atoms),
            parsed=tuple(
                () if _is_regex(atom) or atom.startswith(SITE) else tuple(_parts(atom))
                for atom in atoms
            ),
            words={k: tuple(v) for k, v in words.items()},
            prefixes={k: tuple(v) for k, v in prefixes.items()},
            pairs={k: tuple(v) for k, v in pairs.items()},
            phrases={k: tuple(v) for k, v in phrases.items()},
            regexes=tuple(regexes),
            prefix_tuple=tuple(prefixes),
            word_keys=frozenset(words),
            pair_keys=frozenset(pairs),
            phrase_keys=frozenset(phrases),
        )

    def find(self, field_words: Words) -> set[int]:
        """The atoms found in one field."""
        toks, stems = field_words
        present = set(stems)
        found: set[int] = set()
        for s in present & self.word_keys:
            found.update(self.words[s])
        if self.pair_keys and len(stems) > 1:
            for pair in set(pairwise(stems)) & self.pair_keys:
                for phrase in self.pairs[pair]:
                    if len(phrase.rest) == 1:
                        found.add(phrase.atom)
                    elif phrase.atom not in found and phrase.needed <= present:
                        self._check(phrase, pair[0], toks, stems, found)
        for s in present & self.phrase_keys:
            for phrase in self.phrases[s]:
                if phrase.atom not in found and phrase.needed <= present:
                    self._check(phrase, s, toks, stems, found)
        if self.prefixes:
            words_here = set(toks)
            self._learn_prefixes(words_here - self._seen)
            for w in words_here & self._prefixed_words:
                found.update(self._prefixed[w])
        if self.regexes:
            normalised = " ".join(toks)
            found.update(a for pattern, a in self.regexes if pattern.search(normalised))
        return found

    def spans(self, atom: int, field_words: Words) -> list[tuple[int, int]]:
        """Where ``atom`` occurs, as token ranges; a /regex/ atom has no position (none)."""
        return Positions(self, field_words).spans(atom)

    def positions(self, field_words: Words) -> Positions:
        """Where the atoms occur in one field, for several atoms at once (``Positions``)."""
        return Positions(self, field_words)

    @staticmethod
    def _check(
        phrase: _Phrase, first: str, toks: list[str], stems: list[str], found: set[int]
    ) -> None:
        if any(_phrase_here(phrase.rest, i, toks, stems) for i in _positions(stems, first)):
            found.add(phrase.atom)

    def _learn_prefixes(self, new_words: set[str]) -> None:
        if len(self._seen) > _MAX_SEEN:  # a bound, should a feed send random garbage
            self._seen.clear()
            self._prefixed.clear()
            self._prefixed_words.clear()
        starts = self.prefix_tuple
        for w in new_words:
            if w.startswith(starts):
                found = (a for p, atoms in self.prefixes.items() if w.startswith(p) for a in atoms)
                self._prefixed[w] = tuple(found)
                self._prefixed_words.add(w)
        self._seen.update(new_words)


class Positions:
    """The spans of atoms in one field, for several atoms (``a ~ b`` terms) at C speed: words
    and phrases by ``list.index`` on the stems, prefixes through the words of the field that
    the index knows to start with one (learnt as ``find`` does)."""

    __slots__ = ("_index", "_prefixed_here", "_words")

    def __init__(self, index: AtomIndex, field_words: Words) -> None:
        self._index = index
        self._words = field_words
        self._prefixed_here: dict[str, tuple[int, ...]] | None = None

    def spans(self, atom: int) -> list[tuple[int, int]]:
        """Where ``atom`` occurs, in text order, as token ranges (none for a /regex/ or a
        ``site:`` atom)."""
        parts = self._index.parsed[atom]
        if not parts:
            return []
        toks, stems = self._words
        first_prefix, first = parts[0]
        if first_prefix:  # a one-word prefix
            if self._prefixed_here is None:
                index = self._index
                here = set(toks)
                index._learn_prefixes(here - index._seen)
                self._prefixed_here = {w: index._prefixed[w] for w in here & index._prefixed_words}
            starts = [
                i
                for w, atoms in self._prefixed_here.items()
                if atom in atoms
                for i in _positions(toks, w)
            ]
            return [(i, i + 1) for i in sorted(starts)]
        rest = tuple(parts[1:])
        return [
            (i, i + 1 + len(rest))
            for i in _positions(stems, first)
            if not rest or _phrase_here(rest, i, toks, stems)
        ]


def _parts(atom: str) -> list[_Part]:
    is_prefix = atom.endswith("*")
    words_of_atom = tokens(atom.rstrip("*"))
    if not words_of_atom:
        raise ValueError(f"terme « {atom} » sans mot")
    parts: list[_Part] = [(False, stem(w)) for w in words_of_atom]
    if is_prefix:
        parts[-1] = (True, words_of_atom[-1])
    return parts


def _positions(stems: list[str], stem: str) -> list[int]:
    """Every position of ``stem`` (``list.index`` scans at C speed)."""
    found: list[int] = []
    i = -1
    while True:
        try:
            i = stems.index(stem, i + 1)
        except ValueError:
            return found
        found.append(i)


def _phrase_here(rest: tuple[_Part, ...], i: int, toks: list[str], stems: list[str]) -> bool:
    """Whether the words after position ``i`` are ``rest``."""
    if i + len(rest) >= len(stems):
        return False
    for k, (is_prefix, value) in enumerate(rest, start=i + 1):
        if not (toks[k].startswith(value) if is_prefix else stems[k] == value):
            return False
    return True
