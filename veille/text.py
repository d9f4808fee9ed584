"""French text normalisation, shared by tagging and full-text search.

Same rules on both sides (the terms of feeds.yaml, a search query, an entry's text)::

    fold("L’Évaluation des Élèves")        == "l’evaluation des eleves"   # case + accents
    tokens("L’IA à l'école : M@gistère")   == ["ia", "a", "ecole", "magistere"]
    normalize("Jeux d’évasion, QCM…")      == "jeux evasion qcm"
    stem("tablettes") == "tablette";  stem("jeux") == "jeu";  stem("journaux") == "journal"

* ``fold``: lower case (``casefold``), compatibility decomposition (NFKD: ``ﬁ`` → ``fi``,
  ``1ᵉʳ`` → ``1er``), combining marks dropped (``é`` → ``e``), ligatures expanded
  (``œ`` → ``oe``, ``æ`` → ``ae``).
* ``tokens``: words are runs of letters and digits; everything else separates words (hyphens
  too: ``auto-évaluation`` is ``auto evaluation``, ``Wi-Fi`` is ``wi fi``). Elided words are
  dropped with their apostrophe, straight or curly (``l' d' j' m' n' s' t' c' qu' jusqu'
  lorsqu' puisqu'``): ``l’IA`` is the word ``ia``. An apostrophe elsewhere separates
  (``aujourd'hui`` is ``aujourd hui``). An ``@`` *between two letters* reads as ``a``, so
  ``M@gistère`` and ``Magistère`` are the same word ``magistere`` (an e-mail address in a text
  becomes two odd words; nobody searches for those).
* ``normalize``: the tokens joined by single spaces — what ``/regex/`` terms and FTS index see.
* ``stem``: a *light, predictable* plural remover, applied to both sides of a comparison, so
  that it only needs to be consistent, not linguistically right. Words of ≤ 3 characters and
  words with digits are kept; ``-eaux`` → ``-eau``, ``-aux`` → ``-al`` (``journaux``; but
  ``travaux`` ↛ ``travail``), ``-eux``/``-oux`` → drop ``x`` (``jeux`` → ``jeu``), final ``s``
  dropped unless ``ss`` (``évaluations`` → ``evaluation``). Feminine/verb forms are not merged:
  use a prefix term (``évalu*``) for those.

French wording, shared by pages, e-mails, the CLI and configuration messages::

    number(1234) == "1\u202f234";  number(1.25, 1) == "1,2";  number(0.5, 1) == "0,5"
    plural(0, "article") == "0 article";  plural(2, "autre article", "autres articles")

* ``number``: a decimal comma and a narrow no-break space (U+202F) between thousands, as French
  typography writes them (« 1 234,5 »); ``decimals`` fixes the digits after the comma.
* ``readable``: an identifier as a reader would write it, for a tag without a declared name:
  ``blogs-recherche`` → « Blogs recherche » (accents cannot be guessed: ``labels:`` in
  feeds.yaml gives « Actualité » for ``actualite``).
* ``plural``: the count, then the singular for 0 and 1 (French: « 0 article », « 1,5 jour »)
  and the plural from 2 on. The plural adds ``s`` unless the word already ends in s, x or z;
  anything else (a phrase, ``-al`` → ``-aux``…) is given explicitly.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html import unescape
from typing import NamedTuple

__all__ = [
    "ELISIONS", "Words", "fold", "normalize", "number", "plural", "readable", "stem", "strip_html",
    "tokens", "words",
]  # fmt: skip

ELISIONS = ("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu")

# Combining diacritical marks (and their extensions): what NFKD splits off accented letters.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_APOSTROPHE = "'’ʼ‘"
_AT = re.compile(r"(?<=[^\W\d_])@(?=[^\W\d_])")
# A word, with an elided particle before it skipped (one pass: no separate substitution).
_WORD = re.compile(rf"(?:\b(?:{'|'.join(ELISIONS)})[{_APOSTROPHE}](?=[^\W_]))?([^\W_]+)")

_BLOCK_TAG = re.compile(
    r"<(?:script|style)\b.*?</(?:script|style)\s*>"
    r"|</?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|tr|td|th|table|blockquote|pre|section|"
    r"article|aside|header|footer|figure|figcaption|img|iframe|video|audio)\b[^>]*>",
    re.IGNORECASE | re.DOTALL,
)
_INLINE_TAG = re.compile(r"<[^>]*>")


def fold(text: str) -> str:
    """Lower case, accents removed, ligatures expanded; nothing else changes."""
    if text.isascii():
        return text.lower()
    text = text.casefold()
    # str.replace, not str.translate: translate with a dict is much slower on long texts
    # (BENCHMARKS.md, "Figures behind the code").
    if "œ" in text:
        text = text.replace("œ", "oe")
    if "æ" in text:
        text = text.replace("æ", "ae")
    return _MARKS.sub("", unicodedata.normalize("NFKD", text))


def tokens(text: str) -> list[str]:
    """The words of ``text``, folded, elisions removed (see the module docstring)."""
    folded = fold(text)
    if "@" in folded:
        folded = _AT.sub("a", folded)
    return _WORD.findall(folded)


def normalize(text: str) -> str:
    """The tokens of ``text`` joined by single spaces."""
    return " ".join(tokens(text))


@lru_cache(maxsize=1 << 16)
def stem(token: str) -> str:
    """Light plural removal of one (folded) token: ``tablettes`` → ``tablette``."""
    n = len(token)
    if n <= 3 or not token.isalpha():
        return token
    if token.endswith("eaux"):
        return token[:-1]
    if token.endswith("aux") and n >= 5:
        return token[:-3] + "al"
    if token.endswith(("eux", "oux")):
        return token[:-1]
    if token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


class Words(NamedTuple):
    """A text's tokens and their stems, computed once for tagging and indexing together."""

    tokens: list[str]
    stems: list[str]


def words(text: str) -> Words:
    """``tokens(text)`` and the ``stem`` of each."""
    toks = tokens(text)
    return Words(toks, list(map(stem, toks)))


def strip_html(html: str) -> str:
    """Plain text of *sanitised* HTML (nh3 output): tags removed, entities decoded.

    Block-level tags become spaces (``<p>a</p><p>b</p>`` is ``a b``), inline ones vanish
    (``<b>é</b>valuation`` stays one word). Not a sanitiser: never use it on untrusted HTML
    that is going to be displayed.
    """
    if "<" not in html and "&" not in html:
        return html
    text = _INLINE_TAG.sub("", _BLOCK_TAG.sub(" ", html))
    return " ".join(unescape(text).split())


# French day names, Monday first (``datetime.weekday()`` order), as dates are written and read.
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAY_ABBREVIATIONS = tuple(day[:3] for day in WEEKDAYS)

# French typography: a narrow no-break space groups thousands, a comma marks decimals.
THOUSANDS = "\u202f"


def number(value: float, decimals: int | None = None) -> str:
    """``1234`` → ``1 234`` (narrow no-break space), ``1.1`` → ``1,1``; ``decimals`` rounds."""
    text = f"{value:,.{decimals}f}" if decimals is not None else f"{value:,}"
    return text.replace(",", THOUSANDS).replace(".", ",")


def plural(count: float, singular: str, plural_form: str | None = None) -> str:
    """``plural(1, "article") == "1 article"``, ``plural(3, "article") == "3 articles"``.

    French: 0 and 1 (and anything below 2) take the singular."""
    if abs(count) < 2:
        word = singular
    elif plural_form is not None:
        word = plural_form
    else:
        word = singular if singular.endswith(("s", "x", "z")) else singular + "s"
    return f"{number(count)} {word}"


def readable(identifier: str) -> str:
    """``blogs-recherche`` → ``Blogs recherche``: hyphens become spaces, first letter upper."""
    return first_upper(" ".join(identifier.replace("-", " ").replace("_", " ").split()))


def first_upper(text: str) -> str:
    """``repris par 4 sources`` → ``Repris par 4 sources``: the first letter upper, the rest
    as is (``str.capitalize`` would lower « Éduscol » into « éduscol »)."""
    return text[:1].upper() + text[1:]
