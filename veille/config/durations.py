"""Durations and mail times as written in feeds.yaml and in the filter bar: pure parsers.

``every``/``window`` (and the period filter of the digest page) are durations with units::

    parse_duration("2h30m") == timedelta(hours=2, minutes=30)

``mail.at`` is ``"HH:MM"`` (every day) or ``"DAY HH:MM"``, DAY one of the English three-letter
names ``mon … sun`` (case-insensitive; a French name is refused with its English equivalent, so
the scheduler has one vocabulary)::

    parse_mail_at("mon 07:30") == (0, time(7, 30))

Both raise ValueError with a French message; bounds are the caller's business.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

from veille.text import WEEKDAY_ABBREVIATIONS

__all__ = ["DAYS", "parse_duration", "parse_mail_at"]

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?\Z")
_MAIL_AT = re.compile(r"(?:([a-z]+)\s+)?(\d{1,2}):(\d{2})\Z")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_duration(text: str) -> timedelta:
    """``"30m"``, ``"1h"``, ``"2h30m"``, ``"1d"``, ``"45s"`` → timedelta.

    Units, in this order, each at most once: ``d`` (days), ``h``, ``m`` (minutes), ``s``.
    Lower-case only (``M`` could be read as months). Raises ValueError with a French message.
    Bounds (e.g. at least one minute) are the caller's business.
    """
    s = text.strip()
    m = _DURATION.match(s)
    if not s or m is None:
        raise ValueError(f"durée invalide « {text} » (exemples : 45s, 30m, 1h, 2h30m, 1d)")
    d, h, mn, sec = (int(g) if g else 0 for g in m.groups())
    try:
        return timedelta(days=d, hours=h, minutes=mn, seconds=sec)
    except OverflowError as e:
        raise ValueError(f"durée trop longue « {text} »") from e


def format_duration(d: timedelta) -> str:
    """``timedelta(days=7)`` → ``"7d"`` (what ``parse_duration`` reads back)."""
    seconds = int(d.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n)


def parse_mail_at(text: str) -> tuple[int | None, time]:
    """``"mon 07:30"`` → ``(0, time(7, 30))``; ``"07:30"`` → ``(None, time(7, 30))`` (every day).

    The weekday follows ``datetime.weekday()`` (Monday is 0). Raises ValueError (French).
    """
    m = _MAIL_AT.match(" ".join(text.lower().split()))
    if m is None:
        raise ValueError(f"horaire invalide « {text} » (exemples : « mon 07:30 », « 18:00 »)")
    day, hh, mm = m.group(1), int(m.group(2)), int(m.group(3))
    if hh > 23 or mm > 59:
        raise ValueError(f"heure invalide « {text} » (00:00 à 23:59)")
    if day is None:
        return None, time(hh, mm)
    if day in DAYS:
        return DAYS.index(day), time(hh, mm)
    french = next((i for i, f in enumerate(WEEKDAY_ABBREVIATIONS) if day.startswith(f)), None)
    hint = f" ; « {day} » s'écrit « {DAYS[french]} »" if french is not None else ""
    raise ValueError(f"jour inconnu « {day} » : utilisez {', '.join(DAYS)}{hint}")
