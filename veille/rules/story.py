"""What an entry tells: the features of its title and of the lead of its summary by which two
outlets' tellings of one story are recognised when their titles are rephrased. Pure.

``story(title, summary) -> Story``: the summary is cut to its lead (``lead``: plain text, the
WordPress « The post … appeared first on … » / « L’article … est apparu en premier sur … »
footer and « Lire la suite » dropped, ``LEAD_CHARS``), then title and lead become weighted
*features*:

* **dates** (``d:15/6``: a day with its month, « 1er septembre », « du 16 au 18 juin »),
  weight ``DATE_W``; **percentages** (``%:58``) and **amounts** (``n:4000``: « 4 000 »,
  « 64,5 milliards », any number ≥ 100 that is not a year) ``AMOUNT_W``; other numbers
  (« 12 fiches », « six semaines »), years and hours ``SMALL_W``;
* **school levels** (``l:3e``: « 3e » and « troisième » alike, ``l:cp``…) ``LEVEL_W``;
* **places**: regions (``p:grand-est``, also from their people's adjective, « franciliens »)
  and académies (``a:creteil``, from their city) ``NAME_W``;
* **words**, folded, plurals removed (``veille.text``) and cut to a root by a light suffix
  rule (« généralisation », « généralisé » → ``generalis``); words that outlets use for one
  another read as one *concept* (« panne » / « inaccessible » / « hors service », « grève » /
  « grévistes », « DNB » / « brevet »: ``~panne``…), and some phrases as one word
  (« intelligence artificielle » → ``~ia``, « vie scolaire »); stop-words and reporting verbs
  (« annonce », « dévoile »…: sources pick different ones) are dropped. A word weighs
  ``WORD_W``, or ``NAME_W`` when written as a name (a capital inside a sentence, an acronym:
  « Pronote », « DEPP »), or ``WEAK_W`` when any education news uses it (« élèves »,
  « ministère », « rentrée », « collège »…: they agree across unrelated stories).

A number after a singular article (« le 3018 », « au 115 ») is a name, not a figure; a
proportion in words (« un élève sur cinq », « deux tiers ») a percentage. What a lead
*recalls* (a clause from « alors que », « deux jours après », « au lendemain de »: most often
the other news of its topic) weighs ``CONTEXT_W`` of its weight and counts as neither figure,
kind, place nor name. A short phrase in « » is also read as a name (``q:…``), and the people
of an académie's city (« marseillais ») as the académie, for agreement only. ``Story`` also
keeps what comparisons read apart: dates, levels, places, figures (``amounts``, percentages
as the multiples of 5 points around them), kinds of event (``story_terms.EVENT_KINDS``) in
the whole telling and in its title.

What one word says (its root, concept, level, the phrases and places it may start), whatever
the text around it: ``story_words``. How two stories are compared, and what sets them apart:
``story_compare``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from veille.rules.story_terms import (
    EVENT_KINDS,
    STOP_WORDS,
)
from veille.rules.story_words import (
    AMOUNT_W,
    DATE_W,
    LEVEL_W,
    NAME_W,
    NUMBER_WORDS,
    SMALL_W,
    read_word,
    word_of,
)
from veille.text import fold, strip_html, tokens

__all__ = [
    "LEAD_CHARS",
    "LEAD_HTML_CHARS",
    "STOP_WORDS",
    "Story",
    "lead",
    "story",
    "story_of_lead",
]

LEAD_CHARS = 400  # the lead: what most feeds' summaries are, and enough to tell a story
LEAD_HTML_CHARS = 3 * LEAD_CHARS  # of a summary's HTML, what can hold its lead

CONTEXT_W = 0.3  # times the weight of what a telling recalls as context (``_CONTEXT``)

_KINDS = frozenset("~" + w for w in tokens(EVENT_KINDS))
_MONTH_NAMES = tokens(
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
)
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}
_MONTH = (
    "janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre"
)

_RANGE = re.compile(rf"\b(\d{{1,2}})(?:er)?\s+(?:au|et|à|-)\s+(\d{{1,2}})\s+({_MONTH})\b", re.I)
_NUMBER = re.compile(
    r"(?<![\w.,])(?P<num>(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:,\d+)?)"
    r"(?:\s*(?P<unit>%|millions?\b|milliards?\b|Mds?\b|Md€|M€|(?:er|re|e|ème)\b|h\b|heures?\b))?"
    rf"(?:\s+(?P<month>{_MONTH})\b)?",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+")
# Proportions in words: « un élève sur cinq », « huit enseignants sur dix », « deux tiers »,
# « la moitié » (read as percentages, ``_Builder.share``).
_COUNT = {"un": 1, "une": 1} | {str(i): i for i in range(1, 11)} | NUMBER_WORDS
_COUNTS = r"un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|\d"
_FRACTIONS = {"moitie": 2, "tiers": 3, "quart": 4, "quarts": 4}
_SHARE = re.compile(
    rf"\b(?:(?P<part>{_COUNTS})(?P<who>(?:\s+[^\W\d_]+){{0,2}}?)\s+sur\s+(?P<of>{_COUNTS})\b"
    rf"|(?:(?P<n>un|deux|trois)\s+|la\s+)(?P<f>moiti[ée]|tiers|quarts?)\b)",
    re.IGNORECASE,
)
_SHARE_HINT = re.compile(r"\bsur\s|tiers|moiti|quart", re.IGNORECASE)
# A clause that recalls another, earlier event: « alors que… », « deux jours après… », « au
# lendemain de… », up to the next punctuation (« à la veille de… » looks ahead, most often to
# the story's own event: not one).
_CONTEXT = re.compile(
    r"\b(?:alors qu|tandis qu|au lendemain d|dans la foulée d"
    r"|\w+ (?:heures?|jours?|semaines?|mois) après\b)[^,;:.!?]*",
    re.IGNORECASE,
)
_CONTEXT_HINT = re.compile(r"alors qu|tandis qu|lendemain|foulée|après", re.IGNORECASE)
_SINGULAR = re.compile(r"(?<![\w'’])(?:le|du|au)\s+\Z", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_NOT_DIGIT = re.compile(r"\D")
_SEGMENT_BREAK = re.compile(r"[.:!?«»(\"“”—–|]")
_AT = re.compile(r"(?<=[^\W\d_])@(?=[^\W\d_])")
# A short phrase in quotation marks names something (« Ma classe à l'hôpital », « Portable en
# pause »): outlets quote it as it is, so it is read as one name besides its words.
_QUOTED = re.compile(r"[«“]\s*([^«»“”]{3,60}?)\s*[»”]")
_QUOTED_WORDS = 6
# Feed footers and « read more » links: (where it starts, what must follow for it to be one).
_FOOTERS = (
    ("The post ", " appeared first on "),
    ("L’article ", " est apparu en premier sur "),
    ("L'article ", " est apparu en premier sur "),
    ("[…]", ""),
    ("[...]", ""),
    ("Lire la suite", ""),
    ("Continue reading", ""),
    ("Read more", ""),
)


@dataclass(frozen=True, slots=True)
class Story:
    """The features of a title and its lead, with their weights and what conflicts read."""

    weights: Mapping[str, float]
    total: float
    dates: frozenset[str]
    levels: frozenset[str]
    regions: frozenset[str]
    academies: frozenset[str]
    has_lead: bool  # the summary gave text beyond the title
    entities: frozenset[str]  # features written as names, and places: who and where
    amounts: frozenset[str]  # dates, percentages and amounts: the figures of the story
    kinds: frozenset[str]  # the kinds of event it names (``EVENT_KINDS``)
    headline_kinds: frozenset[str]  # those its title names


def lead(summary: str) -> str:
    """The summary as plain text without feed footers, cut to ``LEAD_CHARS`` on a word."""
    # Markup is rarely more than twice the text: what lies further does not reach the lead.
    head = summary[:LEAD_HTML_CHARS]
    if head.rfind("<") > head.rfind(">"):
        head = head[: head.rfind("<")]  # a tag cut in two
    text = strip_html(head)
    for marker, then in _FOOTERS:
        at = text.find(marker)
        if at >= 0 and (not then or then in text[at:]):
            text = text[:at]
    text = text.strip()
    if len(text) > LEAD_CHARS:
        cut = text.rfind(" ", 0, LEAD_CHARS)
        text = text[: cut if cut > 0 else LEAD_CHARS]
    return text


class _Builder:
    def __init__(self) -> None:
        self.weights: dict[str, float] = {}
        self.dates: set[str] = set()
        self.levels: set[str] = set()
        self.regions: set[str] = set()
        self.academies: set[str] = set()
        self.entities: set[str] = set()

    def add(self, feature: str, weight: float) -> None:
        if weight > self.weights.get(feature, 0.0):
            self.weights[feature] = weight

    def place(self, region: str, academie: str | None) -> None:
        if not region and academie is not None:  # a city's people: agreement, no conflict
            self.entities.add("a:" + academie)
            self.add("a:" + academie, NAME_W)
            return
        self.regions.add(region)
        if academie is None:
            self.entities.add("p:" + region)
            self.add("p:" + region, NAME_W)
        else:
            self.academies.add(academie)
            self.entities.add("a:" + academie)
            self.add("a:" + academie, NAME_W)

    def read(self, text: str) -> None:
        if "«" in text or "“" in text:
            for quoted in _QUOTED.findall(text):
                words = tokens(quoted)
                if 2 <= len(words) <= _QUOTED_WORDS:
                    self.entities.add("q:" + " ".join(words))
                    self.add("q:" + " ".join(words), NAME_W)
        if "@" in text:
            text = _AT.sub("a", text)  # M@gistère
        if _SHARE_HINT.search(text):
            text = _SHARE.sub(self.share, text)
        if _DIGIT.search(text):
            text = _RANGE.sub(r"\1 \3 \2 \3", text)  # « du 16 au 18 juin »: both are dates
            text = _NUMBER.sub(self.number, text)  # numbers are read apart, then blanked
        segment_start, end = True, 0  # a capital there does not make a name
        weights, entities = self.weights, self.entities
        for m in _WORD.finditer(text):
            start, stop = m.span()
            if start < end:
                continue  # inside a phrase or a place already read
            gap = text[end:start]
            end = stop
            if gap != " " and _SEGMENT_BREAK.search(gap):
                segment_start = True
            word = word_of(m.group())
            if word.skip:
                if not word.elision or text[end : end + 1] not in "'’":
                    segment_start = False  # « l’École » still starts its segment
                continue
            name = word.capitals or (word.capital and not segment_start)
            segment_start = False
            reading = word.reading
            for pattern, phrase, region, academie in word.specials:
                special = pattern.match(text, start)
                if special is not None:
                    end = special.end()
                    if phrase:
                        reading = read_word(phrase)
                    else:
                        self.place(region, academie)
                        reading = ()
                    break
            if word.stop and not name and reading is word.reading:
                continue
            for feature, weight, nameable, level in reading:
                if level is not None:
                    self.levels.add(level)
                if name and nameable:
                    entities.add(feature)
                    weight = NAME_W
                if weight > weights.get(feature, 0.0):
                    weights[feature] = weight

    def share(self, m: re.Match[str]) -> str:
        """« un élève sur cinq », « deux tiers », « la moitié »: a percentage (outlets write
        one story's proportion either way: « 68 % » / « deux tiers »)."""
        if m.group("of"):
            part, whole = _COUNT[fold(m.group("part"))], _COUNT[fold(m.group("of"))]
        else:
            part, whole = _COUNT.get(fold(m.group("n") or "un"), 1), _FRACTIONS[fold(m.group("f"))]
        if not 0 < part < whole:
            return m.group()
        self.percent(round(100 * part / whole))
        return f" {m.group('who') or ''} "  # « un élève sur cinq »: the pupils are read too

    def percent(self, value: float) -> None:
        self.add(f"%:{value:g}", AMOUNT_W)

    def number(self, m: re.Match[str]) -> str:
        whole, _, decimals = m.group("num").partition(",")
        digits = _NOT_DIGIT.sub("", whole)
        value = f"{digits}.{decimals}" if decimals else digits
        unit = (m.group("unit") or "").lower()
        if m.group("month"):
            date = f"{int(digits)}/{_MONTHS[fold(m.group('month'))]}"
            self.dates.add(date)
            self.add("d:" + date, DATE_W)
        elif unit in ("re", "e", "ème") and 3 <= int(digits) <= 6:
            self.levels.add(f"{int(digits)}e")
            self.add(f"l:{int(digits)}e", LEVEL_W)
        elif unit == "%":
            self.percent(float(value))
        elif unit.startswith("h") or unit in ("er", "re", "e", "ème"):
            self.add(f"n:{value}{unit[:1]}", SMALL_W)
        elif len(digits) == 4 and digits[:2] in ("19", "20") and not decimals:
            self.add(f"y:{value}", SMALL_W)
        elif (
            not (decimals or unit)
            and int(digits) >= 100
            and _SINGULAR.search(m.string[max(0, m.start() - 6) : m.start()])
        ):
            # « le 3018 », « au 115 »: a singular article before a number (≥ 100: not a day of
            # « du 16 au 18 ») makes it a name (a helpline, a law's number), not a quantity
            self.entities.add("n:" + digits)
            self.add("n:" + digits, NAME_W)
        elif decimals or unit or int(digits) >= 100:
            self.add(f"n:{value}", AMOUNT_W)
        else:
            self.add(f"n:{value}", SMALL_W)
        return " "


def story(title: str, summary: str = "") -> Story:
    """The story features of a title and the lead of its summary (see the module docstring)."""
    return story_of_lead(title, lead(summary) if summary else "")


def story_of_lead(title: str, text: str) -> Story:
    """``story`` when the lead is already cut (``lead``)."""
    b = _Builder()
    b.read(title)
    headline = _KINDS.intersection(b.weights)
    recalled: list[str] = []
    if text:
        if _CONTEXT_HINT.search(text):
            recalled = _CONTEXT.findall(text)
            text = _CONTEXT.sub(" | ", text)
        b.read(text)
    weights = b.weights
    kinds = _KINDS.intersection(weights)
    if recalled:
        # What a telling recalls as context (« alors que le ministère promet 10 000 places »,
        # « deux jours après la panne de lundi »): another news of its topic, most often. It
        # counts for little and tells neither what happened nor where, when or to whom.
        c = _Builder()
        c.read(" | ".join(recalled))
        for feature, weight in c.weights.items():
            b.add(feature, weight * CONTEXT_W)
    amounts = {
        agreeing
        for f, w in weights.items()
        if f[1] == ":" and f[0] in "%dn" and w >= AMOUNT_W and f not in b.entities
        for agreeing in _figures(f)
    }
    return Story(
        weights,
        sum(weights.values()),
        _frozen(b.dates),
        _frozen(b.levels),
        _frozen(b.regions),
        _frozen(b.academies),
        bool(text),
        _frozen(b.entities),
        _frozen(amounts),
        _frozen(kinds),
        _frozen(headline),
    )


_EMPTY: frozenset[str] = frozenset()
_PERCENT_STEP = 5


def _figures(feature: str) -> tuple[str, ...]:
    """How a figure agrees with others (``discord``): itself, or a percentage as the multiples
    of ``_PERCENT_STEP`` points around it. Outlets round one proportion their own way (« 28 % »,
    « plus d'un sur quatre »; « 68 % », « deux tiers »): near figures are no discord, but they
    share no weight (two notes of one statistics office quote near percentages too)."""
    if feature[0] != "%":
        return (feature,)
    value = float(feature[2:])
    low = math.floor(value / _PERCENT_STEP) * _PERCENT_STEP
    return (f"%~{low}", f"%~{low + _PERCENT_STEP}") if value > low else (f"%~{low}",)


def _frozen(found: set[str] | frozenset[str]) -> frozenset[str]:
    """One empty set for all (most stories have no date, level or place: a window holds tens
    of thousands of them)."""
    return frozenset(found) if found else _EMPTY
