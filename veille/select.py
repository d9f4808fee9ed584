"""One selection for every output: parse user filters into a ``Selection``, run it.

Routes (API now; pages, output feeds and e-mails later) build their ``Selection`` here, so a
filter means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from .errors import QueryError
from .models import EntryPage, Selection
from .store import Store

MAX_LIMIT = 500


def parse_when(text: str, field: str, tz: ZoneInfo) -> datetime:
    """An RFC 3339 / ISO 8601 date or datetime; without an offset it is read in ``tz``
    (Europe/Paris by default: the users' local time). A date alone means its midnight."""
    value = text.strip()
    if "T" in value and " " in value:
        # An unencoded "+01:00" in a query string arrives as " 01:00".
        value = value.replace(" ", "+")
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tz)
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise QueryError(
            f"{field} : date invalide « {text} » "
            "(attendu : 2026-11-29 ou 2026-11-29T07:30:00+01:00)"
        ) from e
    return when if when.tzinfo else when.replace(tzinfo=tz)


def build_selection(
    *,
    feeds: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    tz: ZoneInfo,
    known_feeds: Sequence[str] | None = None,
) -> Selection:
    """Validate user filters (French messages) and build the ``Selection``."""
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit doit être compris entre 1 et {MAX_LIMIT}")
    if known_feeds is not None:
        unknown = sorted(set(feeds) - set(known_feeds))
        if unknown:
            raise QueryError(f"source inconnue : {', '.join(unknown)}")
    start = parse_when(since, "since", tz) if since else None
    end = parse_when(until, "until", tz) if until else None
    if start and end and start >= end:
        raise QueryError("since doit précéder until")
    return Selection(feeds=tuple(feeds), since=start, until=end, limit=limit, cursor=cursor)


def select_entries(store: Store, selection: Selection) -> EntryPage:
    return store.list_entries(selection)
