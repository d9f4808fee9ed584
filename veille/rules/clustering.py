"""One story, one line: grouping the entries of *different* feeds that tell the same story.

Pure (no database, no clock). The store calls ``assign_clusters(new, candidates)`` after
storing new entries, with ``candidates`` = the already stored entries published within
``WINDOW`` (72 h) of them, plus those sharing one of their canonical links whatever their date;
it stores the returned cluster ids. A cluster id is the key of the cluster's first entry, so
an entry alone is its own cluster.

Two entries are **the same story** (``same_story``) when they come from different feeds and

* their canonical links are the same (compared by ``link_key``: scheme, ``www.``, host case
  and trailing slash ignored; a site's home page is never a story link), or
* they were published within 72 h of each other and their titles are near-identical:

  - titles are reduced to a *signature* (``title_signature``): words folded and stemmed
    (``veille.text``, plus ``-ée`` → ``-é``), French stop-words and reporting verbs
    (« publie », « lance », « ouvre »… sources pick different ones) dropped, a source
    suffix dropped (``… | Éduscol``; ``… - Le Café pédagogique``: the last `` - `` segment
    when it is short and the head has ≥ 3 words), generic words dropped (« revue de presse »,
    « édito »…: « Revue de presse du lundi 12 mars » matches nothing);
  - words frequent in education news (``école``, ``élèves``, ``ministère``, ``rentrée``,
    months…) weigh ½, every other word 1; the shared words must weigh ≥ ``MIN_SHARED`` with
    at least one full-weight word, and the *weighted Jaccard* of the signatures must be
    ≥ ``THRESHOLD``, or ≥ ``STRICT_THRESHOLD`` when *each* title has a full-weight word the
    other lacks (« élèves malades » / « élèves allophones »: a substitution, not a rewording);
  - **conflicts veto**: headlines of one template differ by one discriminating word
    (« Brevet 2026 : les sujets de maths » / « … de français », « résultats en CP » /
    « … en 4e », « … supprimé » / « … maintenu », « … académie de Lyon » / « … de Nantes »).
    When each title has a word of its own that is a number, a school level, an exam, a
    discipline, a decision or a name (a capital inside the title, an acronym), they are two
    stories.

False merges are worse than misses (an article hidden under another one is lost to the
reader; a duplicate costs a glance), so the rules are strict: tests/test_cluster.py measures
precision and recall on 104 realistic French pairs: precision 0.95, recall 0.81 (the two
thresholds maximise F0.5, which counts precision twice). Lexical rules have a ceiling: a
one-word substitution (« inter- » / « intra-académique ») still looks like a rewording, and a
paraphrase with no shared words (« ferme ses portes » / « fermeture ») is missed.

Two entries of one feed are two stories: an entry never joins a cluster that already holds an
entry of its own feed. When a new entry matches several clusters it joins the best-scoring one
(ties: the earliest); existing clusters are never merged (no chaining).

Speed: candidates are indexed once by their full-weight words (an inverted index), and only
those sharing such a word with a new entry are scored: a few hundred candidates cost well under
a millisecond per new entry.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from veille.text import stem, tokens

__all__ = [
    "MIN_SHARED",
    "STRICT_THRESHOLD",
    "THRESHOLD",
    "WINDOW",
    "ClusterItem",
    "assign_clusters",
    "link_key",
    "same_story",
    "similarity",
    "title_signature",
]

WINDOW = timedelta(hours=72)
THRESHOLD = 0.5
STRICT_THRESHOLD = 0.6
MIN_SHARED = 2.0


@dataclass(frozen=True, slots=True)
class ClusterItem:
    """What clustering needs of an entry. ``key`` is unique across feeds (the store's id);
    ``cluster`` is the stored cluster id of a candidate (``None``: alone, i.e. its own key)."""

    key: str
    feed: str
    title: str
    published: datetime
    url: str | None = None
    cluster: str | None = None


def _stem(token: str) -> str:
    """``text.stem``, plus feminine participles: ``généralisée(s)`` → ``generalise``."""
    s = stem(token)
    return s[:-1] if s.endswith("ee") and len(s) > 4 else s


def _words(text: str) -> frozenset[str]:
    return frozenset(_stem(t) for t in tokens(text))


# Checked before stemming (``mais`` is not the month ``mai``).
_STOP = frozenset(
    tokens(
        "le la les un une des du de au aux a à et ou mais en dans sur pour par avec sans sous "
        "vers chez entre est sont sera seront été être avoir ont ce cet cette ces son sa ses "
        "leur leurs qui que quoi dont quel quelle quels quelles comment pourquoi il elle ils "
        "elles on nous vous se ne pas plus moins tout tous toute toutes très y ça afin lors "
        "après avant depuis contre nouveau nouvelle nouveaux nouvelles lundi mardi mercredi "
        "jeudi vendredi samedi dimanche voici faut savoir va vont peut doit peuvent "
        "je tu me te moi toi lui eux ma ta mon ton mes tes nos notre vos votre même aussi "
        "encore déjà toujours désormais enfin bientôt davantage selon plusieurs certains "
        "certaines chaque grâce cause face lorsque quand si comme ainsi alors donc or ni car "
        "vers via fait faire font être était sera dès hors malgré parmi près"
    )
)
# Reporting verbs (stemmed): sources pick different ones for one story (« lance » / « ouvre »).
_VERBS = _words(
    "annonce annoncé dévoile dévoilé présente présenté publie publié lance lancé ouvre met "
    "mettent offre propose signe rend tombé appelle appelé enrichit explique expliqué devient "
    "change ligne confirme confirmé"
)
_GENERIC = _words(
    "revue presse édito éditorial newsletter lettre hebdo semaine podcast épisode vidéo "
    "numéro n° dossier chronique actualité actu brève brèves infos info agenda sommaire"
)
# Frequent in education news: they agree across unrelated headlines, so they weigh half.
_WEAK = _words(
    "école élève enseignant enseignante professeur prof éducation nationale national ministère "
    "ministre scolaire classe établissement rentrée France français janvier février mars "
    "avril mai juin juillet août septembre octobre novembre décembre examen épreuve résultat "
    "an année jour "
    "nouvel plan projet rapport guide étude loi proposition décret circulaire texte vote"
)
# Discriminating words: two titles of one template that differ by one of these are two
# stories (« … sujets de maths » / « … sujets de français », « … supprimé » / « … maintenu »).
_DISCRIMINATING = _words(
    # school levels
    "cp ce1 ce2 cm1 cm2 6e 5e 4e 3e 2de 1re sixième cinquième quatrième troisième seconde "
    "première terminale maternelle primaire élémentaire collège lycée université supérieur "
    "écolier collégien lycéen étudiant "
    # exams
    "bac baccalauréat brevet dnb cap capes crpe agrégation bts licence master parcoursup "
    # disciplines
    "mathématiques maths français histoire géographie physique chimie svt anglais allemand "
    "espagnol philosophie philo ses nsi eps technologie musique arts latin grec économie "
    # decisions
    "supprimé maintenu créé arrête arrêté généralisé reporté annulé suspendu prolongé interdit "
    "autorisé fermé ferme ouvert rejeté abandonné réduit augmenté baisse hausse"
)
_SUFFIX = re.compile(r"\s+(?:[-–—|·•]|::)\s+(?P<suffix>[^-–—|·•]+)$")
_MAX_SUFFIX_WORDS = 4
_WORD = re.compile(r"[^\W_]+")
_SEGMENT_START = re.compile(r"(?:^|[:|«»(\-–—.!?\"“”])[\s'’]*(?:\w+['’])?\s*\Z")


def _names(title: str) -> set[str]:
    """Words written as names: a capital that does not just start the title or a segment
    (« … : Word »), or a capital after the first letter (ENT, DEPP, ChatGPT, pHARe)."""
    found: set[str] = set()
    for m in _WORD.finditer(title):
        word = m.group()
        if word[1:] != word[1:].lower() or (
            word[0].isupper() and not _SEGMENT_START.search(title[: m.start()])
        ):
            found.update(_words(word))
    return found


@dataclass(frozen=True, slots=True)
class _Signature:
    words: frozenset[str]
    names: frozenset[str]  # the proper nouns and acronyms among them


@lru_cache(maxsize=1 << 14)
def _signature(title: str) -> _Signature:
    m = _SUFFIX.search(title)
    if m is not None:
        head = title[: m.start()]
        suffix_words = tokens(m.group("suffix"))
        if "|" in m.group(0) or (len(suffix_words) <= _MAX_SUFFIX_WORDS and len(tokens(head)) >= 3):
            title = head
    words = frozenset(
        w
        for w in (_stem(t) for t in tokens(title) if t not in _STOP)
        if w not in _GENERIC and w not in _VERBS
    )
    return _Signature(words, frozenset(_names(title) & words))


def title_signature(title: str) -> frozenset[str]:
    """The significant words of a title, folded and stemmed (see the module docstring)."""
    return _signature(title).words


def _weight(word: str) -> float:
    return 0.5 if word in _WEAK else 1.0


def _discriminating(word: str, sig: _Signature) -> bool:
    return word in _DISCRIMINATING or word in sig.names or any(c.isdigit() for c in word)


def _similarity(a: _Signature, b: _Signature) -> float:
    shared = a.words & b.words
    if not any(_weight(w) == 1.0 for w in shared):
        return 0.0
    shared_weight = sum(_weight(w) for w in shared)
    if shared_weight < MIN_SHARED:
        return 0.0
    only_a, only_b = a.words - b.words, b.words - a.words
    if any(_discriminating(w, a) for w in only_a) and any(_discriminating(w, b) for w in only_b):
        return 0.0  # each title has a number, level, exam, discipline, decision or name of its own
    score = shared_weight / (shared_weight + sum(_weight(w) for w in only_a | only_b))
    if any(_weight(w) == 1.0 for w in only_a) and any(_weight(w) == 1.0 for w in only_b):
        # Each title says something the other does not (« élèves malades » / « élèves
        # allophones »): they must agree on more.
        return score if score >= STRICT_THRESHOLD else 0.0
    return score


def similarity(a: str, b: str) -> float:
    """Weighted Jaccard of two titles' signatures; 0.0 when they cannot be the same story."""
    return _similarity(_signature(a), _signature(b))


def link_key(url: str | None) -> str | None:
    """A canonical link reduced for comparison; ``None`` for no link or a site's home page."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    host = host.removeprefix("www.")
    path = parts.path.rstrip("/")
    if not host or (not path and not parts.query):
        return None
    return f"{host}{path}?{parts.query}" if parts.query else f"{host}{path}"


@dataclass(frozen=True, slots=True)
class _Prepared:
    """An item with its signature and link key, computed once."""

    item: ClusterItem
    sig: _Signature
    link: str | None
    day: int  # UTC day number of its publication, for the window

    @classmethod
    def of(cls, item: ClusterItem) -> _Prepared:
        return cls(item, _signature(item.title), link_key(item.url), _day(item.published))


def _day(when: datetime) -> int:
    return int(when.timestamp() // 86_400)


def _score_prepared(a: _Prepared, b: _Prepared) -> float:
    if a.item.feed == b.item.feed:
        return 0.0
    if a.link is not None and a.link == b.link:
        return 1.0
    if abs(a.item.published - b.item.published) > WINDOW:
        return 0.0
    s = _similarity(a.sig, b.sig)
    return s if s >= THRESHOLD else 0.0


def _score(a: ClusterItem, b: ClusterItem) -> float:
    """1.0 for a shared link, else the title similarity within the window; 0.0: different."""
    return _score_prepared(_Prepared.of(a), _Prepared.of(b))


def same_story(a: ClusterItem, b: ClusterItem) -> bool:
    """Whether two entries of different feeds tell the same story (see the module docstring)."""
    return _score(a, b) > 0.0


_WINDOW_DAYS = WINDOW.days + 1  # days on each side that can hold an item within the window
MAX_POSTING = 60  # a word in more titles than this in one day does not discriminate
MIN_HITS = 2  # full-weight words two titles must share to be compared at all


class _Index:
    """Entries by (full-weight signature word, day) and by link, with their clusters' feeds.

    Looking up an item only visits the days within the 72 h window, so the work is linear in
    the number of items, not quadratic. Entries are numbered by the caller (``seq``: ties
    resolve by it). Word postings follow the window: ``forget_before(day)`` drops the days no
    later item can reach, so memory grows with the entries of a week, not of the whole period
    (a first refresh of thousands of feeds clusters a fortnight at once). Links and clusters'
    feeds are kept for every entry (a shared link counts whatever the dates)."""

    def __init__(self) -> None:
        self.items: dict[int, ClusterItem] = {}  # every entry, for link neighbours
        self.prepared: dict[int, _Prepared] = {}  # entries whose day is still in the window
        self.by_word: defaultdict[tuple[str, int], list[int]] = defaultdict(list)
        self.by_day: defaultdict[int, list[int]] = defaultdict(list)
        self.by_link: defaultdict[str, list[int]] = defaultdict(list)
        self.feeds: defaultdict[str, set[str]] = defaultdict(set)  # cluster id → its feeds

    def known(self, seq: int, item: ClusterItem, link: str | None, cluster: str) -> None:
        """An entry reachable by its link and counted in its cluster (words: ``add``)."""
        self.items[seq] = item
        if link is not None:
            self.by_link[link].append(seq)
        self.feeds[cluster].add(item.feed)

    def add(self, seq: int, p: _Prepared) -> None:
        """Index the words of a ``known`` entry."""
        self.prepared[seq] = p
        self.by_day[p.day].append(seq)
        for word in p.sig.words:
            if _weight(word) == 1.0:
                self.by_word[(word, p.day)].append(seq)

    def forget_before(self, day: int) -> None:
        for old in [d for d in self.by_day if d < day]:
            for seq in self.by_day.pop(old):
                for word in self.prepared.pop(seq).sig.words:
                    self.by_word.pop((word, old), None)

    def get(self, seq: int) -> _Prepared:
        found = self.prepared.get(seq)
        return found if found is not None else _Prepared.of(self.items[seq])

    def neighbours(self, p: _Prepared) -> set[int]:
        """Items sharing the link, or at least ``MIN_HITS`` full-weight words within the
        window (a single shared word is never enough for two titles to be one story)."""
        hits: Counter[int] = Counter()
        for word in p.sig.words:
            for day in range(p.day - _WINDOW_DAYS, p.day + _WINDOW_DAYS + 1):
                posting = self.by_word.get((word, day), ())
                if len(posting) <= MAX_POSTING:
                    hits.update(posting)
        found = {i for i, n in hits.items() if n >= MIN_HITS}
        if p.link is not None:
            found.update(self.by_link.get(p.link, ()))
        return found


def assign_clusters(
    new_items: Sequence[ClusterItem], candidates: Sequence[ClusterItem]
) -> dict[str, str]:
    """The cluster id of every new item, and of every candidate whose cluster was ``None`` and
    that a new item joined (it now needs its own key stored as its cluster).

    New items are taken oldest first, and each one becomes a candidate for the next ones.
    Candidates enter the word index when the window of the item being placed reaches their
    day, and leave it when no later item can reach it.
    """
    index = _Index()
    cluster_of: dict[str, str] = {}
    for seq, c in enumerate(candidates):
        cluster_of[c.key] = c.cluster or c.key
        index.known(seq, c, link_key(c.url), cluster_of[c.key])
    waiting = sorted(range(len(candidates)), key=lambda k: candidates[k].published)
    next_waiting = 0
    result: dict[str, str] = {}
    order = sorted(range(len(new_items)), key=lambda i: (new_items[i].published, i))
    for rank, item in enumerate(new_items[i] for i in order):
        prepared = _Prepared.of(item)
        index.forget_before(prepared.day - _WINDOW_DAYS)
        while next_waiting < len(waiting):
            seq = waiting[next_waiting]
            day = _day(candidates[seq].published)
            if day > prepared.day + _WINDOW_DAYS:
                break
            if day >= prepared.day - _WINDOW_DAYS:
                index.add(seq, _Prepared.of(candidates[seq]))
            next_waiting += 1
        best: tuple[float, datetime, str, ClusterItem] | None = None
        for i in sorted(index.neighbours(prepared)):  # sorted: ties resolve the same way
            other = index.get(i)
            cluster = cluster_of[other.item.key]
            if item.feed in index.feeds[cluster]:
                continue
            score = _score_prepared(prepared, other)
            published = other.item.published
            if score > 0.0 and (best is None or (-score, published) < (-best[0], best[1])):
                best = (score, published, cluster, other.item)
        if best is None:
            cluster = item.key
        else:
            cluster, joined = best[2], best[3]
            if joined.cluster is None and joined.key not in result and joined.key == cluster:
                result[joined.key] = cluster
        cluster_of[item.key] = cluster
        result[item.key] = cluster
        seq = len(candidates) + rank
        index.known(seq, item, prepared.link, cluster)
        index.add(seq, prepared)
    return result
