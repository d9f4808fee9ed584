"""Dates of feed entries: French day and month names, time zones, clamping — pure.

feedparser reads RFC 822, W3C-DTF/ISO 8601 and a dozen legacy formats, in English. French
publishers (SPIP, home-made CMSs) also write ``lun., 30 nov. 2026 07:30:00 +0100``,
``30 novembre 2026`` or ``mardi 1er décembre 2026 à 08h00``: :func:`parse_french_date` reads
those. A French date without a zone is taken in Europe/Paris, its publishers' zone.

Every result is timezone-aware UTC; a date after ``now`` (plus a small tolerance for clock skew)
is clamped to ``now``, so that a publisher's typo (2062 for 2026) does not pin an entry on top.
"""

from __future__ import annotations

import calendar
import re
import time
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from veille.text import WEEKDAY_ABBREVIATIONS, WEEKDAYS

FUTURE_TOLERANCE = timedelta(minutes=10)
PARIS = ZoneInfo("Europe/Paris")

MONTHS = {  # French month names and abbreviations (folded) → number
    "janvier": 1, "janv": 1, "jan": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "fevier": 2,
    "mars": 3, "mar": 3,
    "avril": 4, "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7, "juil": 7, "jui": 7,
    "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}  # fmt: skip
_ZONES = {
    "gmt": 0, "ut": 0, "utc": 0, "z": 0, "cet": 60, "cest": 120, "hnec": 60, "hnee": 120,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
    "pst": -480, "pdt": -420,
}  # fmt: skip

# Words that make a string French (only full month names: "nov" or "dec" are also English).
FRENCH_MARKERS = re.compile(
    r"\b(janv|f[ée]vr|avr|mai|juin|juil|ao[uû]t|déc|lun|mer|jeu|ven|sam|dim"
    r"|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|mars|avril|octobre|novembre"
    r"|d[ée]cembre|janvier|f[ée]vrier|juillet|septembre|1er)\b",
    re.IGNORECASE,
)

# A weekday, written out anywhere or abbreviated at the start ("mar." is also March).
_WEEKDAY = re.compile(
    rf"\b(?:{'|'.join(WEEKDAYS)})\b\.?,?|^\s*(?:{'|'.join(WEEKDAY_ABBREVIATIONS)})\b\.?,?"
)
_FRENCH_DATE = re.compile(
    r"(?P<day>\d{1,2})\s*(?:er)?\s+(?P<month>[a-z]+)\.?,?\s+(?P<year>\d{4}|\d{2})\b"
    r"(?:[\s,]*(?:a|-)?\s*(?P<hour>\d{1,2})\s*[:h]\s*(?P<minute>\d{2})?"
    r"(?:\s*:\s*(?P<second>\d{2}))?)?"
    r"\s*(?P<zone>[+-]\d{2}:?\d{2}|[a-z]{1,4}\b)?"
)


def _fold(s: str) -> str:
    decomposed = unicodedata.normalize("NFKD", s.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _zone(token: str | None) -> timezone | ZoneInfo:
    if not token:
        return PARIS
    if token[0] in "+-":
        digits = token[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:])
        return timezone(timedelta(minutes=minutes if token[0] == "+" else -minutes))
    offset = _ZONES.get(token)
    return timezone(timedelta(minutes=offset)) if offset is not None else PARIS


def parse_french_date(raw: str) -> datetime | None:
    """Read a date written in French; None if it is not one. The result is UTC."""
    folded = _fold(raw)
    folded = re.sub(r"\b(le|du|publie|mis a jour)\b", " ", folded)
    folded = _WEEKDAY.sub(" ", folded)
    match = _FRENCH_DATE.search(folded)
    if not match or match["month"] not in MONTHS:
        return None
    year = int(match["year"])
    if year < 100:
        year += 2000 if year < 70 else 1900
    try:
        local = datetime(
            year,
            MONTHS[match["month"]],
            int(match["day"]),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            tzinfo=_zone(match["zone"]),
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """feedparser's ``*_parsed`` (a UTC struct_time) as an aware datetime."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def parse_date(raw: str | None) -> datetime | None:
    """Read RFC 3339 (JSON Feed), RFC 822 or French dates; None if unreadable. UTC."""
    if not raw or not isinstance(raw, str):
        return None
    raw = raw.strip()
    value: datetime | None = None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            value = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            value = parse_french_date(raw)
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def entry_date(raw: str | None, parsed: time.struct_time | None) -> datetime | None:
    """The date of a feedparser field: French reading first if the raw text is French."""
    if raw and FRENCH_MARKERS.search(raw):
        french = parse_french_date(raw)
        if french is not None:
            return french
    return from_struct_time(parsed) or (parse_french_date(raw) if raw else None)


def clamp(value: datetime | None, now: datetime) -> datetime | None:
    """``value`` in UTC, or ``now`` if it lies in the future (beyond a small tolerance)."""
    if value is None:
        return None
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if value > now + FUTURE_TOLERANCE:
        return now.astimezone(UTC)
    return value.astimezone(UTC)
