"""French dates and text for the pages and the e-mail: pure helpers, data in, ``str`` out.

* ``french_datetime(when, tz)`` → ``29 nov. 2026 à 08:30`` (abbreviated month, local time);
* ``relative_time(when, now)`` → ``il y a 3 h``, ``dans 20 min``, ``à l'instant``;
* ``date_only(when, tz)``: the publisher gave a day without a time (see below);
* ``plural(3, "article")`` → ``3 articles`` and ``number(1.5, 1)`` → ``1,5``: defined in
  :mod:`veille.text` for the CLI and configuration messages too, re-exported here (``plural`` is
  also a Jinja filter of :mod:`veille.render.html`);
* ``summary_text(html)`` → the plain text of an HTML summary (scripts and styles dropped,
  blocks separated), cut at a word boundary near ``SUMMARY_CHARS`` with "…";
* ``tag_reason(field, term)`` → ``« IA » dans le titre``: why an entry has a theme.

The first day of a month is written « 1er » (« 1er déc. 2026 », « du 1er au 7 déc. »).

A date without a time (``<pubDate>`` of a CMS that only knows the day, « 30 novembre 2026 » on
a list page) reaches us as midnight: local midnight when the source wrote no zone (read in
Europe/Paris), UTC midnight when a feed wrote ``00:00:00 +0000`` or ``GMT``. Nothing records
that the time was missing, so a date exactly at midnight to the second, in the readers' zone or
in UTC, is taken for a day alone: pages then show « 30 nov. 2026 », never « il y a 20 h (… à
00:00) ». A real article published at exactly 00:00:00 loses only its time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from veille.rules.tagging import EDITOR_FIELD
from veille.text import number, plural, strip_html

__all__ = [
    "SUMMARY_CHARS", "date_only", "french_date", "french_datetime", "number", "period_label",
    "plural", "relative_time", "summary_text", "tag_reason",
]  # fmt: skip

SUMMARY_CHARS = 240
_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin",
           "juil.", "août", "sept.", "oct.", "nov.", "déc.")  # fmt: skip


_IN_FIELD = {
    "title": "dans le titre",
    "summary": "dans le résumé",
    "content": "dans le texte",
    "category": "dans les catégories",
}


def tag_reason(field: str, term: str) -> str:
    """Why an entry has a theme, in French, from its stored reason (``tagging.TagReason``):
    « « IA » dans le titre », « donné par la source », « ajouté par l'équipe »."""
    if field == EDITOR_FIELD:
        return "ajouté par l'équipe"
    if field == "source":
        return "donné par la source"
    if field == "link":
        return f"site du lien ({term})"
    return f"« {term} » {_IN_FIELD.get(field, field)}"


def _day_month(day: date) -> str:
    """``30 nov.``, ``1er déc.``."""
    return f"{'1er' if day.day == 1 else day.day} {_MONTHS[day.month - 1]}"


def french_datetime(when: datetime, tz: ZoneInfo) -> str:
    """``29 nov. 2026 à 08:30`` in ``tz``."""
    local = when.astimezone(tz)
    return f"{_day_month(local)} {local.year} à {local:%H:%M}"


def date_only(when: datetime, tz: ZoneInfo) -> date | None:
    """The day meant by a date without a time (midnight exactly, in ``tz`` or in UTC), else
    None (see the module docstring)."""
    for zone in (tz, UTC):
        local = when.astimezone(zone)
        if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
            return local.date()
    return None


def relative_time(when: datetime, now: datetime) -> str:
    """``il y a 3 h`` (past) or ``dans 20 min`` (future), coarse like a human would say it."""
    seconds = (now - when).total_seconds()
    ahead, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        return "à l'instant"
    if seconds < 3600:
        amount = f"{int(seconds // 60)} min"
    elif seconds < 86400:
        amount = f"{int(seconds // 3600)} h"
    elif seconds < 60 * 86400:
        amount = plural(int(seconds // 86400), "jour")
    else:
        amount = f"{int(seconds // (30 * 86400))} mois"
    return f"dans {amount}" if ahead else f"il y a {amount}"


def summary_text(html: str, limit: int = SUMMARY_CHARS) -> str:
    """Plain text of an HTML summary (``text.strip_html``: the one HTML → text rule of stored
    HTML), cut at a word boundary near ``limit`` with "…"."""
    text = strip_html(html)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.-–—") + "…"


def french_date(when: datetime | date, tz: ZoneInfo) -> str:
    """``30 nov. 2026`` (the local date of a datetime; a ``date`` as is)."""
    day = when.astimezone(tz) if isinstance(when, datetime) else when
    return f"{_day_month(day)} {day.year}"


def period_label(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """``du 23 au 30 nov. 2026``, ``du 28 oct. au 4 nov. 2026``, ``du 28 déc. 2026 au 4 janv.
    2027``."""
    a, b = start.astimezone(tz), end.astimezone(tz)
    if (a.year, a.month) == (b.year, b.month):
        first = "1er" if a.day == 1 else str(a.day)
    elif a.year == b.year:
        first = _day_month(a)
    else:
        first = french_date(a, tz)
    return f"du {first} au {french_date(b, tz)}"


# Words read per minute, on screen, in French: the usual range for adults is 200–230; the
# lower bound, since a digest's lines are dense (names, figures) and read to choose.
READING_WPM = 200


def word_count(text: str) -> int:
    """Words of a plain text, as a reader sees them (an elided « l'IA » is one)."""
    return len(text.split())


def reading_time(articles: int, words: int) -> str:
    """« 12 articles, environ 6 min de lecture » (``words`` at ``READING_WPM``, rounded up;
    under a minute: « moins d'une minute de lecture »)."""
    return f"{plural(articles, 'article')}, {reading_duration(words)}"


def reading_duration(words: int) -> str:
    """« environ 6 min de lecture » (``words`` at ``READING_WPM``, rounded up)."""
    minutes = -(-words // READING_WPM)
    time = "moins d'une minute" if words < READING_WPM else f"environ {minutes} min"
    return f"{time} de lecture"


def duration_label(d: timedelta) -> str:
    """A period as a page names it: « 24 heures », « 7 jours », « 12 mois », « 3 heures »."""
    seconds = int(d.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        if days == 1:
            return "24 heures"
        if days in (365, 366):
            return "12 mois"
        return f"{days} jours"
    if seconds % 3600 == 0:
        return plural(seconds // 3600, "heure")
    return f"{seconds // 60} min"
