"""The SQL of a reader's state of entries, shared by the selection query (``entries.py``)
and the reading methods (``reading.py``).

One rule: an explicit ``entry_state.read`` wins; without one, an entry is read when the
store first saw it at or before the reader's horizon (``Reader.read_before``). Most entries
have no state row: only the differences from the horizon, and the starred ones, are stored.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from veille.models import Reader, Selection
from veille.store.tables import entry_t, state_t


def state_of(reader: Reader, entry: Any = entry_t) -> tuple[Any, Any]:
    """``(alias, ON clause)`` of the LEFT JOIN bringing the reader's row of each entry."""
    state = state_t.alias("reader_state")
    on = sa.and_(state.c.entry_id == entry.c.id, state.c.account_id == reader.account_id)
    return state, on


def read_value(reader: Reader, entry: Any, state: Any) -> Any:
    """Whether the entry is read, from its joined state row (``state_of``)."""
    return sa.func.coalesce(state.c.read, entry.c.first_seen_at <= reader.read_before)


def unread(reader: Reader, entry: Any, dialect: str = "", *, page: bool = False) -> Any:
    """The entry is unread: first seen after the horizon or explicitly unread, and not
    explicitly read. Written as an ``IN`` over two indexed sets (``ix_entry_arrival``,
    the state's key) so that counting the unread never reads the whole table.

    A ``page`` (newest or oldest first, a limit) is written so that the planner walks the
    date index and stops at the limit: with the ``IN``, both engines fetched every candidate
    row (thousands, wide: SQLite reads a row's overflow pages to reach its dates) and sorted
    them — 1.2 s for 50 unread among 24k (BENCHMARKS.md, « API Google Reader »). SQLite:
    the same ``IN`` on ``id + 0``, which no index serves (its probe stays cheap); PostgreSQL
    keeps hashing that ``IN`` against a full scan, so there the test is per row."""
    if page and dialect == "postgresql":
        read_row = sa.exists().where(
            state_t.c.account_id == reader.account_id,
            state_t.c.entry_id == entry.c.id,
            state_t.c.read.is_(True),
        )
        kept_row = sa.exists().where(
            state_t.c.account_id == reader.account_id,
            state_t.c.entry_id == entry.c.id,
            state_t.c.read.is_(False),
        )
        return sa.or_(sa.and_(entry.c.first_seen_at > reader.read_before, ~read_row), kept_row)
    recent = entry_t.alias("arrived")
    candidates = sa.union_all(
        sa.select(recent.c.id).where(recent.c.first_seen_at > reader.read_before),
        sa.select(state_t.c.entry_id).where(
            state_t.c.account_id == reader.account_id, state_t.c.read.is_(False)
        ),
    )
    read_row = sa.exists().where(
        state_t.c.account_id == reader.account_id,
        state_t.c.entry_id == entry.c.id,
        state_t.c.read.is_(True),
    )
    key = entry.c.id + 0 if page else entry.c.id
    return sa.and_(key.in_(candidates), ~read_row)


def earliest_unread(reader: Reader) -> Any:
    """The oldest publication date among a reader's unread entries, or among the few
    read ones that arrived after the horizon (a lower bound): what lets an oldest-first page
    start its walk of ``ix_entry_published`` there rather than at the oldest entry of all,
    passing every older, read one (PostgreSQL: 60 ms, BENCHMARKS.md « Google Reader API »).
    From the arrival index (``ix_entry_arrival``: arrival, feed, date) and the reader's kept
    rows. NULL when nothing is unread: no entry passes."""
    kept = entry_t.alias("kept_unread")
    candidates = sa.union_all(
        sa.select(entry_t.c.published_at.label("published")).where(
            entry_t.c.first_seen_at > reader.read_before
        ),
        sa.select(kept.c.published_at)
        .select_from(state_t.join(kept, kept.c.id == state_t.c.entry_id))
        .where(state_t.c.account_id == reader.account_id, state_t.c.read.is_(False)),
    ).subquery("unread_dates")
    return sa.select(sa.func.min(candidates.c.published)).scalar_subquery()


def starred(reader: Reader, entry: Any) -> Any:
    """The entry is starred: an ``IN`` over the few starred rows (``ix_entry_state_starred``),
    not a lookup per entry (70 ms over 300k entries with nothing starred)."""
    return entry.c.id.in_(
        sa.select(state_t.c.entry_id).where(
            state_t.c.account_id == reader.account_id, state_t.c.starred.is_(True)
        )
    )


def reading_conditions(
    selection: Selection, entry: Any, dialect: str = "", *, page: bool = False
) -> list[Any]:
    """The WHERE clauses of a selection's reading filters over ``entry`` (``page``: for
    one page in date order, ``unread``)."""
    conditions: list[Any] = []
    if selection.arrived_since is not None:
        conditions.append(entry.c.first_seen_at > selection.arrived_since)
    reader = selection.reader
    if reader is not None and selection.unread_only:
        conditions.append(unread(reader, entry, dialect, page=page))
        if page and selection.oldest_first:
            conditions.append(entry.c.published_at >= earliest_unread(reader))
    if reader is not None and selection.read_only:
        conditions.append(~unread(reader, entry))
    if reader is not None and selection.starred_only:
        conditions.append(starred(reader, entry))
    return conditions
