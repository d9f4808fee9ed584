"""What one word of a telling says, whatever the text around it (``veille.rules.story`` reads
the text): its features and their weights — a folded root cut by a light suffix rule, a
*concept* that outlets use for one another, a school level, a number in words — and the
phrases and places that may start with it. Cached per word: a window of entries repeats its
words thousands of times. Pure; the vocabulary is ``story_terms``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from veille.rules.story_terms import (
    ACADEMIES,
    CONCEPT_GROUPS,
    DEMONYMS,
    PHRASES,
    REGIONS,
    STOP_WORDS,
    VERBS,
    WEAK_WORDS,
)
from veille.text import fold, stem, tokens

__all__ = [
    "AMOUNT_W", "CONCEPTS", "DATE_W", "LEVEL_W", "NAME_W", "NUMBER_WORDS", "SMALL_W", "WEAK_W",
    "WORD_W", "Reading", "Special", "Word", "read_word", "word_of",
]  # fmt: skip

DATE_W = 3.0
AMOUNT_W = 2.5
NAME_W = 2.0
WORD_W = 1.0
LEVEL_W = 1.0
SMALL_W = 0.5
WEAK_W = 0.3

CONCEPTS = {w: "~" + fold(g.split()[0]) for g in CONCEPT_GROUPS for w in tokens(g)}
_WEAK_CONCEPTS = frozenset(("~eleve", "~enseignant", "~an"))
# A pupil of a school level is a pupil and the level.
_PUPILS = {"collegien": "college", "lyceen": "lycee", "ecolier": "ecole"}
_LEVELS = {
    "sixieme": "6e",
    "cinquieme": "5e",
    "quatrieme": "4e",
    "troisieme": "3e",
    "cp": "cp",
    "ce1": "ce1",
    "ce2": "ce2",
    "cm1": "cm1",
    "cm2": "cm2",
    "terminale": "terminale",
}
NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        tokens(
            "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze "
            "quinze seize"
        )
    )
    if i >= 2
} | {"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "cent": 100, "mille": 1000}
# Phrases and places, by their first (folded) word: checked only where such a word starts.
Special = tuple[re.Pattern[str], str, str, str | None]  # pattern, word | region, académie


def _specials() -> dict[str, list[Special]]:
    found: dict[str, list[Special]] = {}
    for firsts, pattern, word in PHRASES:
        compiled = re.compile(rf"(?:{pattern})\b", re.IGNORECASE)
        for first in firsts.split():
            found.setdefault(first, []).append((compiled, word, "", None))
    places: list[tuple[str, str, str | None, str]] = [
        (f, r, None, p) for r, (f, p) in REGIONS.items()
    ]
    places += [(f, r, a, p) for a, (r, f, p) in ACADEMIES.items()]
    for a, people in DEMONYMS.items():
        words = sorted(people.split(), key=len, reverse=True)  # the longest form first
        either = "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in words)
        # no region: the académie's feature, never a conflict (« l'éditeur montpelliérain »
        # says where a company is, not where its news happens)
        places.append((" ".join(tokens(people)), "", a, either))
    for firsts, region, academie, pattern in places:
        compiled = re.compile(rf"(?:{pattern})\b")  # proper nouns: case matters
        for first in firsts.split():
            found.setdefault(first, []).append((compiled, "", region, academie))
    return found


_SPECIALS = _specials()

_SUFFIXES = tuple(
    sorted(
        tokens(
            "ations ation ateurs ateur atrices atrice ements ement ments ment ances ance ences "
            "ence ités ité ives ive ifs if euses euse eurs eur iques ique ismes isme istes iste "
            "ures ure ées ée és ies ie é es e er ez ent aient ait era eront ira iront ons ant ants"
        ),
        key=len,
        reverse=True,
    )
)
_MIN_ROOT = 4


def _root(token: str) -> str:
    """A folded token cut to a root: plural removed, then one suffix (« généralisation »,
    « généralisée » → ``generalis``), never below ``_MIN_ROOT`` letters."""
    s = stem(token)
    if not s.isalpha() or len(s) <= _MIN_ROOT:
        return s
    for suffix in _SUFFIXES:
        if s.endswith(suffix) and len(s) - len(suffix) >= _MIN_ROOT:
            return s[: -len(suffix)]
    return s


_WEAK = frozenset(_root(t) for t in tokens(WEAK_WORDS))


# What a word gives, whatever the text: (feature, weight, may weigh as a name, school level).
Reading = tuple[tuple[str, float, bool, str | None], ...]


@lru_cache(maxsize=1 << 16)
def read_word(token: str) -> Reading:
    """The features of one folded word (cached: a window repeats its words thousands of
    times). Levels also go to ``Story.levels`` (their feature starts with ``l:``)."""
    if token in NUMBER_WORDS:
        return ((f"n:{NUMBER_WORDS[token]}", SMALL_W, False, None),)
    if token in _LEVELS:
        return (("l:" + _LEVELS[token], LEVEL_W, False, _LEVELS[token]),)
    s = stem(token)
    concept = CONCEPTS.get(token) or CONCEPTS.get(s)
    if concept:
        return ((concept, WEAK_W if concept in _WEAK_CONCEPTS else WORD_W, False, None),)
    pupil: Reading = ()
    if s in _PUPILS:
        pupil, s = (("~eleve", WEAK_W, False, None),), _PUPILS[s]
    root = _root(s)
    if root in _WEAK:
        return (*pupil, (root, WEAK_W, False, None))
    return (*pupil, (root, WORD_W, True, None))


_ELISIONS = frozenset(("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu"))


@dataclass(frozen=True, slots=True)
class Word:
    """What a word as written says, whatever its place in the text (cached)."""

    token: str  # folded
    skip: bool  # a number (read apart), a single letter, an elided article
    elision: bool  # « l », « d », « qu »… (before an apostrophe, the segment goes on)
    stop: bool  # a stop-word or a reporting verb, kept only when written as a name
    capital: bool  # starts with a capital: a name unless it starts a segment
    capitals: bool  # a capital after the first letter (DEPP, pHARe): always a name
    reading: Reading
    specials: tuple[Special, ...]  # phrases and places that may start with it


@lru_cache(maxsize=1 << 16)
def word_of(raw: str) -> Word:
    token = fold(raw)
    skip = raw[0].isdigit() or len(token) < 2 or token in _ELISIONS
    return Word(
        token,
        skip,
        token in _ELISIONS,
        token in STOP_WORDS or token in VERBS,
        raw[0].isupper(),
        len(raw) > 1 and raw[1:] != raw[1:].lower(),
        () if skip else read_word(token),
        tuple(_SPECIALS.get(token, ())),
    )
