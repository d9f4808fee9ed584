"""Bounds of the values users can send (dates, entry ids, issue numbers): one definition,
checked where text becomes a value — query parameters, cursors, paths — so that an absurd
value is a 400 with a French message, never an overflow deep in a time zone conversion or
in the database driver. Foundation module: imports nothing of veille but ``errors``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from veille.errors import QueryError

__all__ = ["EARLIEST", "LATEST", "MAX_ENTRIES", "MAX_ID", "check_date", "parse_id"]

# Wide enough for any archive, narrow enough that moving a date between time zones or
# subtracting a window from it never overflows.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
MAX_ENTRIES = 500  # entries one request may ask for (API, store); output feeds allow fewer
# The largest id the store's INTEGER keys hold on PostgreSQL (int4; SQLite's are 64-bit, but
# a store moves between both): a larger one given to PostgreSQL (``id IN (…)`` binds its
# values as INTEGER) would be a 500 instead of "not found".
MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII digits only: "²".isdigit() is True


def check_date(when: datetime, field: str) -> datetime:
    """``when`` itself, or QueryError when it lies outside ``EARLIEST``–``LATEST`` (its
    wall-clock value is compared: an offset cannot push it over)."""
    wall = when.replace(tzinfo=None)
    if not EARLIEST.replace(tzinfo=None) <= wall < LATEST.replace(tzinfo=None):
        raise QueryError(f"{field} : date hors limites « {wall.date()} » (de 1900 à 2199)")
    return when


def parse_id(text: str | int) -> int | None:
    """A positive id from text (entry ids, issue numbers); None when it cannot be one."""
    if isinstance(text, int):
        return text if 0 < text <= MAX_ID else None
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
