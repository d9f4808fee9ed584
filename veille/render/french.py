"""French dates and text for the pages and the e-mail: pure helpers, data in, ``str`` out.

* ``french_datetime(when, tz)`` → ``29 nov. 2026 à 08:30`` (abbreviated month, local time);
* ``relative_time(when, now)`` → ``il y a 3 h``, ``dans 20 min``, ``à l'instant``;
* ``plural(3, "article")`` → ``3 articles`` (also the ``plural`` Jinja filter of
  :mod:`veille.render.html`);
* ``summary_text(html)`` → the plain text of an HTML summary (scripts and styles dropped,
  blocks separated), cut at a word boundary near ``SUMMARY_CHARS`` with "…".

:mod:`veille.render.html` re-exports these names.
"""

from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["SUMMARY_CHARS", "french_datetime", "plural", "relative_time", "summary_text"]

SUMMARY_CHARS = 240
_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin",
           "juil.", "août", "sept.", "oct.", "nov.", "déc.")  # fmt: skip


def plural(n: int, word: str) -> str:
    """``plural(1, "article") == "1 article"``, ``plural(3, "article") == "3 articles"``."""
    return f"{n} {word}{'s' if n > 1 else ''}"


def french_datetime(when: datetime, tz: ZoneInfo) -> str:
    """``29 nov. 2026 à 08:30`` in ``tz``."""
    local = when.astimezone(tz)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year} à {local:%H:%M}"


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
        days = int(seconds // 86400)
        amount = f"{days} jour{'s' if days > 1 else ''}"
    else:
        amount = f"{int(seconds // (30 * 86400))} mois"
    return f"dans {amount}" if ahead else f"il y a {amount}"


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset(
        [
            "p",
            "div",
            "br",
            "li",
            "ul",
            "ol",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "pre",
            "table",
            "tr",
            "td",
            "th",
            "figure",
        ]
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in {"script", "style", "template"}:
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "template"}:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def summary_text(html: str, limit: int = SUMMARY_CHARS) -> str:
    """Plain text of an HTML summary, cut at a word boundary near ``limit`` with "…"."""
    if "<" in html or "&" in html:
        parser = _TextExtractor()
        parser.feed(html)
        parser.close()
        html = "".join(parser.parts)
    text = " ".join(html.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.-–—") + "…"


def french_date(when: datetime, tz: ZoneInfo) -> str:
    """``30 nov. 2026`` (local date)."""
    local = when.astimezone(tz)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}"


def period_label(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """``du 23 au 30 nov. 2026``, ``du 28 oct. au 4 nov. 2026``, ``du 28 déc. 2026 au 4 janv.
    2027``."""
    a, b = start.astimezone(tz), end.astimezone(tz)
    if (a.year, a.month) == (b.year, b.month):
        first = str(a.day)
    elif a.year == b.year:
        first = f"{a.day} {_MONTHS[a.month - 1]}"
    else:
        first = french_date(a, tz)
    return f"du {first} au {french_date(b, tz)}"
