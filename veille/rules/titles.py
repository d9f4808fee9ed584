"""Near-identical headlines: two titles that say the same thing in (almost) the same words.
Pure. One of the two ways ``clustering`` recognises a story told by several sources (the other,
for rephrased titles, reads the summaries too: ``story``).

Titles are reduced to a *signature* (``title_signature``): words folded and stemmed
(``veille.text``, plus ``-ée`` → ``-é``), French stop-words and reporting verbs (« publie »,
« lance », « ouvre »… sources pick different ones) dropped, a source suffix dropped
(``… | Éduscol``; ``… - Le Café pédagogique``: the last `` - `` segment when it is short and
the head has ≥ 3 words), generic words dropped (« revue de presse », « édito »…: « Revue de
presse du lundi 12 mars » matches nothing).

``similarity(a, b)``: words frequent in education news (``école``, ``élèves``, ``ministère``,
``rentrée``, months…) weigh ½, every other word 1; the shared words must weigh
≥ ``MIN_SHARED`` with at least one full-weight word, and the score is the *weighted Jaccard*
of the signatures; it must reach ``THRESHOLD`` (checked by ``clustering``), or
``STRICT_THRESHOLD`` when *each* title has a full-weight word the other lacks (« élèves
malades » / « élèves allophones »: a substitution, not a rewording).

**Conflicts veto**: headlines of one template differ by one discriminating word (« Brevet
2026 : les sujets de maths » / « … de français », « résultats en CP » / « … en 4e »,
« … supprimé » / « … maintenu », « … académie de Lyon » / « … de Nantes »). When each title
has a word of its own that is a number, a school level, an exam, a discipline, a decision or
a name (a capital inside the title, an acronym), they are two stories.

Measured on 104 realistic French title pairs (tests/test_cluster.py): precision 0.95,
recall 0.81 (the two thresholds maximise F0.5, which counts precision twice). Lexical rules
on titles have a ceiling: a one-word substitution (« inter- » / « intra-académique ») still
looks like a rewording, and a paraphrase with no shared words is missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from veille.text import stem, tokens

__all__ = [
    "MIN_SHARED",
    "STRICT_THRESHOLD",
    "THRESHOLD",
    "Signature",
    "signature",
    "similarity",
    "title_signature",
    "title_similarity",
]

THRESHOLD = 0.5
STRICT_THRESHOLD = 0.6
MIN_SHARED = 2.0


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
class Signature:
    """A title's significant words (folded, stemmed), with what ``title_similarity`` reads of
    them computed once (it runs for every candidate of every new entry)."""

    words: frozenset[str]
    names: frozenset[str]  # the proper nouns and acronyms among them
    full: frozenset[str]  # the words that weigh 1 (the others weigh ½)
    discriminating: frozenset[str]  # numbers, levels, exams, disciplines, decisions, names
    weight: float  # of all its words


def _weight(word: str) -> float:
    return 0.5 if word in _WEAK else 1.0


@lru_cache(maxsize=1 << 14)
def signature(title: str) -> Signature:
    """The signature of a title (see the module docstring)."""
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
    names = frozenset(_names(title) & words)
    return Signature(
        words,
        names,
        words - _WEAK,
        frozenset(
            w for w in words if w in _DISCRIMINATING or w in names or any(c.isdigit() for c in w)
        ),
        sum(map(_weight, words)),
    )


def title_signature(title: str) -> frozenset[str]:
    """The significant words of a title, folded and stemmed (see the module docstring)."""
    return signature(title).words


def title_similarity(a: Signature, b: Signature) -> float:
    """Weighted Jaccard of two signatures; 0.0 when they cannot be the same story."""
    shared = a.words & b.words
    full = len(a.full & shared)
    if not full:
        return 0.0
    shared_weight = full + 0.5 * (len(shared) - full)
    if shared_weight < MIN_SHARED:
        return 0.0
    if not (a.discriminating <= shared or b.discriminating <= shared):
        return 0.0  # each title has a number, level, exam, discipline, decision or name of its own
    # The words of one title only, both sides: what neither shares.
    score = shared_weight / (a.weight + b.weight - shared_weight)
    if not (a.full <= shared or b.full <= shared):
        # Each title says something the other does not (« élèves malades » / « élèves
        # allophones »): they must agree on more.
        return score if score >= STRICT_THRESHOLD else 0.0
    return score


def similarity(a: str, b: str) -> float:
    """Weighted Jaccard of two titles' signatures; 0.0 when they cannot be the same story."""
    return title_similarity(signature(a), signature(b))
