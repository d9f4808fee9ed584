"""What a digest page says it shows: its heading and the sentence under it. Pure: data in,
French text out.

The unfiltered digest keeps its own title (« La veille du jour »); a view narrowed by the
reader says what it is and how many articles it holds, counted over the whole period::

    Recherche « tablette » — 5 articles
    Thème Évaluation — 12 articles sur 7 jours
    Recherche « ENT » · Source Ludomag — 3 articles sur 30 jours

A long result is shown a page at a time, and the sentence under the heading says so
(« 50 premiers articles sur 312 »): no count on the page is ever the count of a page while
claiming to be the count of the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from veille.render.french import french_datetime, plural

NEW = "Nouveaux depuis ma dernière visite"


@dataclass(frozen=True, slots=True)
class Shown:
    """One view of a digest, as counted by the store."""

    title: str  # the digest's own title
    total: int  # entries of the whole view (every page)
    shown: int  # entries on this page
    first: int = 1  # rank of this page's first entry (1-based)
    query: str = ""  # the reader's search
    themes: tuple[str, ...] = ()  # labels of the chosen themes
    sources: tuple[str, ...] = ()  # titles of the chosen sources
    period: str = ""  # "7 jours"; "" for every date
    since: datetime | None = None  # start of the period, None for every date
    narrowed: bool = False  # the reader changed something (filters or period)
    paged: bool = False  # shown a page at a time (the view is longer than a page)
    new: bool = False  # a reader's « nouveaux depuis ma dernière visite »
    arrived_since: datetime | None = None  # …which starts there
    first_visit: bool = False  # …at the account's reading horizon: there was no last visit


def heading(s: Shown) -> str:
    """The page's ``<h1>``."""
    if s.new:
        chosen = subject(s)
        return NEW + ("" if chosen == s.title else f" · {chosen}")
    if not s.narrowed:
        return s.title
    counted = plural(s.total, "article") + (f" sur {s.period}" if s.period else "")
    return f"{subject(s)} — {counted}"


def subject(s: Shown) -> str:
    """What the reader chose, without counts (« Recherche « ENT » · Source Ludomag »); the
    digest's title when nothing narrows it but the period."""
    parts = []
    if s.query:
        parts.append(f"Recherche « {s.query} »")
    if s.themes:
        parts.append(("Thèmes " if len(s.themes) > 1 else "Thème ") + " ou ".join(s.themes))
    if s.sources:
        parts.append(("Sources " if len(s.sources) > 1 else "Source ") + " ou ".join(s.sources))
    return " · ".join(parts) or s.title


def lead(s: Shown, tz: ZoneInfo) -> str:
    """The sentence under the heading: which part of the view this page is, and since when."""
    when = f"depuis le {french_datetime(s.since, tz)}" if s.since else "toutes dates confondues"
    if s.new:  # by arrival: what came in since the last visit (a first one: the horizon)
        counted = plural(s.total, "article arrivé", "articles arrivés") if s.total else ""
        first = "Première visite : " if s.first_visit else ""
        when = f"depuis le {french_datetime(s.arrived_since, tz)}" if s.arrived_since else ""
        return f"{first}{counted or 'Aucun article arrivé'} {when}".rstrip() + "."
    if not s.paged:
        if not s.narrowed:
            return f"{plural(s.total, 'article')} {when}."
        return f"Du plus récent au plus ancien, {when}."
    if s.first == 1:
        return f"{s.shown} premiers articles sur {s.total}, du plus récent au plus ancien ({when})."
    last = s.first + s.shown - 1
    return f"Articles {s.first} à {last} sur {s.total}, du plus récent au plus ancien ({when})."
