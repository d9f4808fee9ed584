"""What each account has read and starred (the rule: ``store/states.py``).

Reading is about stories: marking an entry read or unread marks every copy of its story
(the pages show a story once). Starring is about the entry given. Only the differences from
the account's horizon are stored; « tout marquer comme lu » without a filter moves the
horizon instead of writing a row per entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from veille.limits import parse_id
from veille.models import Reader, Selection
from veille.store.base import StoreBase, in_chunks, upsert
from veille.store.selecting import newest_of_its_story, selection_conditions
from veille.store.tables import account_t, entry_t, state_t, tag_t


def _upsert(conn: sa.Connection, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """Insert state rows, or update ``columns`` of those already there."""
    upsert(conn, state_t, rows, ("account_id", "entry_id"), columns)


def _forget_defaults(conn: sa.Connection, account_id: int) -> None:
    """Drop the rows that no longer say anything (read as the horizon says, not starred)."""
    conn.execute(
        sa.delete(state_t).where(
            state_t.c.account_id == account_id,
            state_t.c.read.is_(None),
            state_t.c.starred.is_(False),
        )
    )


def _unfiltered(selection: Selection) -> bool:
    """The selection is every entry (its read and display fields aside)."""
    bare = Selection(
        reader=selection.reader,
        unread_only=selection.unread_only,
        limit=selection.limit,
        collapse=selection.collapse,
        oldest_first=selection.oldest_first,
    )
    return replace(selection, cursor=None) == bare


class ReadingMixin(StoreBase):
    def _horizon(self, conn: sa.Connection, account_id: int) -> datetime | None:
        query = sa.select(account_t.c.read_before).where(account_t.c.id == account_id)
        return conn.execute(query).scalar()

    def mark(
        self,
        account_id: int,
        entry_ids: Iterable[str | int],
        *,
        read: bool | None = None,
        starred: bool | None = None,
        now: datetime,
        arrived_by: datetime | None = None,
    ) -> int:
        """Mark entries read or unread (with every copy of their stories) and/or starred or
        not (these entries only). Unknown ids are left out. Returns how many entries changed.
        ``arrived_by``: copies the store first saw after it are left as they are (a page's
        « tout marquer comme lu » passes the time it was made)."""
        ids = sorted({i for i in (parse_id(e) for e in entry_ids) if i is not None})
        changed = 0
        with self._write() as conn:
            horizon = self._horizon(conn, account_id)
            if horizon is None or not ids:
                return 0
            for part in in_chunks(ids):
                if read is not None:
                    changed += _set_read(conn, account_id, horizon, part, read, now, arrived_by)
                if starred is not None:
                    changed += _set_starred(conn, account_id, part, starred, now)
            _forget_defaults(conn, account_id)
        return changed

    def mark_all_read(
        self, account_id: int, selection: Selection, *, up_to: datetime, now: datetime
    ) -> int:
        """Every entry of ``selection`` first seen at or before ``up_to`` becomes read (its
        cursor and limit are ignored). Without a filter the horizon moves to ``up_to``
        (never back) and no row is written. Returns how many entries became read."""
        with self._write() as conn:
            horizon = self._horizon(conn, account_id)
            if horizon is None:
                return 0
            reader = Reader(account_id, horizon)
            chosen = replace(selection, reader=reader, unread_only=True, cursor=None)
            conditions = selection_conditions(chosen, entry_t, conn.dialect.name)
            conditions.append(entry_t.c.first_seen_at <= up_to)
            if not _unfiltered(selection):
                ids = list(conn.execute(sa.select(entry_t.c.id).where(*conditions)).scalars())
                changed = 0
                for part in in_chunks(ids):
                    changed += _set_read(conn, account_id, horizon, part, True, now, up_to)
                _forget_defaults(conn, account_id)
                return changed
            count = sa.select(sa.func.count()).select_from(entry_t).where(*conditions)
            changed = int(conn.execute(count).scalar_one())
            moved = max(horizon, up_to)
            conn.execute(
                sa.update(account_t).where(account_t.c.id == account_id).values(read_before=moved)
            )
            # Rows the new horizon makes redundant: explicit states of entries it covers that
            # are now read (up to ``up_to``: all of them; beyond: the read ones).
            covered = sa.select(entry_t.c.id).where(entry_t.c.first_seen_at <= moved)
            read_now = sa.select(entry_t.c.id).where(entry_t.c.first_seen_at <= up_to)
            conn.execute(
                sa.update(state_t)
                .where(
                    state_t.c.account_id == account_id,
                    state_t.c.read.is_not(None),
                    sa.or_(
                        state_t.c.entry_id.in_(read_now),
                        sa.and_(state_t.c.read.is_(True), state_t.c.entry_id.in_(covered)),
                    ),
                )
                .values(read=None, read_changed_at=now)
            )
            _forget_defaults(conn, account_id)
        return changed

    def unread_counts(self, reader: Reader, selection: Selection) -> dict[str, int]:
        """Unread entries of ``selection`` by tag, and ``""``: all of them. Stories are
        counted (one per cluster, as the pages show them) when ``selection.collapse``."""
        chosen = replace(selection, reader=reader, unread_only=True, cursor=None)
        if _unfiltered(chosen) and not chosen.collapse:
            return self._all_unread_counts(reader)
        dialect = self.engine.dialect.name
        conditions = selection_conditions(chosen, entry_t, dialect)
        if chosen.collapse:
            conditions.append(newest_of_its_story(chosen, dialect))
        total = sa.select(sa.func.count()).select_from(entry_t).where(*conditions)
        by_tag = (
            sa.select(tag_t.c.tag, sa.func.count())
            .select_from(entry_t.join(tag_t, tag_t.c.entry_id == entry_t.c.id))
            .where(*conditions)
            .group_by(tag_t.c.tag)
        )
        with self._read() as conn:
            counts = {str(tag): int(n) for tag, n in conn.execute(by_tag)}
            counts[""] = int(conn.execute(total).scalar_one())
        return counts

    def _all_unread_counts(self, reader: Reader) -> dict[str, int]:
        """``unread_counts`` of everything: ``unread_summary``."""
        summary = self.unread_summary(reader)
        return {**summary.by_tag, "": summary.total}

    def unread_by_feed(self, reader: Reader) -> dict[str, tuple[int, datetime | None]]:
        """Unread entries by feed: ``(count, newest publication date)`` (``unread_summary``)."""
        return dict(self.unread_summary(reader).by_feed)

    def unread_summary(self, reader: Reader) -> UnreadSummary:
        """A reader's unread entries by feed, by tag and in all, as the counts of what
        arrived after the horizon (the same for every reader of that horizon: counted day
        by day of arrival, each day cached until its entries or their tags change,
        ``store/arrivals.py``) corrected by the reader's few explicit states, read live: a
        mark changes the next answer without a cache to clear. A feed's newest date is that
        of its newest entry arrived after the horizon, read or not, or of one kept unread:
        an upper bound (BENCHMARKS.md, « Google Reader API »)."""
        with self._read() as conn:
            arrived_by_feed, arrived_by_tag = self._arrivals.after(conn, reader.read_before)
            feed_delta, tag_delta = _explicit_deltas(conn, reader)
        by_feed: dict[str, tuple[int, datetime | None]] = dict(arrived_by_feed)
        for feed, (n, newest) in feed_delta.items():
            count, before = by_feed.get(feed, (0, None))
            dates = [d for d in (before, newest) if d is not None]
            by_feed[feed] = (count + n, max(dates) if dates else None)
        by_tag = dict(arrived_by_tag)
        for tag, n in tag_delta.items():
            by_tag[tag] = by_tag.get(tag, 0) + n
        return UnreadSummary(
            {f: v for f, v in by_feed.items() if v[0] > 0},
            {t: n for t, n in by_tag.items() if n > 0},
            sum(n for n, _ in by_feed.values()),
        )


@dataclass(frozen=True, slots=True)
class UnreadSummary:
    by_feed: dict[str, tuple[int, datetime | None]]  # feed -> (count, newest date)
    by_tag: dict[str, int]
    total: int


def _explicit_deltas(
    conn: sa.Connection, reader: Reader
) -> tuple[dict[str, tuple[int, datetime | None]], dict[str, int]]:
    """What a reader's state rows change to the horizon's counts: −1 for each entry arrived
    after it and marked read, +1 for each from before it kept unread (with its date: it may
    be its feed's newest unread). By feed ``(delta, newest kept unread)``, and by tag."""
    kept = sa.and_(state_t.c.read.is_(False), entry_t.c.first_seen_at <= reader.read_before)
    differs = sa.or_(
        sa.and_(state_t.c.read.is_(True), entry_t.c.first_seen_at > reader.read_before), kept
    )
    delta = sa.func.sum(sa.case((state_t.c.read.is_(True), -1), else_=1))
    joined = state_t.join(entry_t, entry_t.c.id == state_t.c.entry_id)
    mine = (state_t.c.account_id == reader.account_id, differs)
    newest_kept = sa.func.max(sa.case((kept, entry_t.c.published_at), else_=None))
    by_feed = (
        sa.select(entry_t.c.feed_id, delta, newest_kept)
        .select_from(joined)
        .where(*mine)
        .group_by(entry_t.c.feed_id)
    )
    by_tag = (
        sa.select(tag_t.c.tag, delta)
        .select_from(joined.join(tag_t, tag_t.c.entry_id == entry_t.c.id))
        .where(*mine)
        .group_by(tag_t.c.tag)
    )
    feeds = {str(f): (int(n), newest) for f, n, newest in conn.execute(by_feed)}
    return feeds, {str(tag): int(n) for tag, n in conn.execute(by_tag)}


def _set_read(
    conn: sa.Connection,
    account_id: int,
    horizon: datetime,
    ids: list[int],
    read: bool,
    now: datetime,
    arrived_by: datetime | None = None,
) -> int:
    """Read or unread: these entries and every copy of their stories (first seen at or
    before ``arrived_by`` when given: a copy arriving later is news again). A row is written
    only where the state changes, and says nothing (NULL) when the horizon already tells it."""
    clusters = sa.select(entry_t.c.cluster_id).where(
        entry_t.c.id.in_(ids), entry_t.c.cluster_id.is_not(None)
    )
    story = sa.or_(entry_t.c.id.in_(ids), entry_t.c.cluster_id.in_(clusters))
    on = sa.and_(state_t.c.entry_id == entry_t.c.id, state_t.c.account_id == account_id)
    query = (
        sa.select(entry_t.c.id, entry_t.c.first_seen_at, state_t.c.read)
        .select_from(entry_t.outerjoin(state_t, on))
        .where(story)
    )
    if arrived_by is not None:
        query = query.where(entry_t.c.first_seen_at <= arrived_by)
    rows = []
    for entry_id, first_seen, stored in conn.execute(query):
        implied = first_seen <= horizon
        if (implied if stored is None else stored) == read:
            continue
        rows.append(
            {
                "account_id": account_id,
                "entry_id": entry_id,
                "read": None if read == implied else read,
                "starred": False,
                "read_changed_at": now,
            }
        )
    _upsert(conn, rows, ("read", "read_changed_at"))
    return len(rows)


def _set_starred(
    conn: sa.Connection, account_id: int, ids: list[int], starred: bool, now: datetime
) -> int:
    on = sa.and_(state_t.c.entry_id == entry_t.c.id, state_t.c.account_id == account_id)
    query = (
        sa.select(entry_t.c.id, state_t.c.starred)
        .select_from(entry_t.outerjoin(state_t, on))
        .where(entry_t.c.id.in_(ids))
    )
    rows = [
        {
            "account_id": account_id,
            "entry_id": entry_id,
            "starred": starred,
            "starred_at": now if starred else None,
        }
        for entry_id, stored in conn.execute(query)
        if bool(stored) != starred
    ]
    _upsert(conn, rows, ("starred", "starred_at"))
    return len(rows)
