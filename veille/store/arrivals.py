"""What arrived after a reader's horizon, by feed and by tag: the part of its unread counts
that is the same for every reader of that horizon (``Store.unread_summary`` corrects it by
the reader's own states).

It is counted day of arrival by day (UTC), and each day's counts are cached under that
day's version in ``arrival_day``, which the database's triggers increase in every
transaction that inserts, deletes or changes an entry arrived that day or its tags
(migration 0012). A horizon's counts are the sum of its own day (counted from the horizon
on) and of every later day; when versions change, only the days that changed are counted
again — after a fetch cycle's save, the newest day alone, summed with the cached sum of the
days before it (BENCHMARKS.md, « API Google Reader »).

The versions are read before the counts: counts newer than their version only cost a
recount at the next call, never a stale answer. Versions are compared for equality, never
ordered, so transactions committing out of order (PostgreSQL) cannot hide a change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa

from veille.store.tables import arrival_day_t, entry_t, tag_t

ByFeed = dict[str, tuple[int, datetime | None]]  # feed -> (count, newest publication date)
Counts = tuple[ByFeed, dict[str, int]]  # by feed, by tag
# A day's part: (day, the horizon when it is that horizon's own day, else None); a version.
Part = tuple[str, datetime | None]
Key = tuple[tuple[Part, int], ...]

DAY = timedelta(days=1)
PARTS_KEPT = 4096  # days' counts (a day's newest version only), and horizons' own days
HORIZONS_KEPT = 256  # horizons' sums


def day_of(moment: datetime) -> str:
    """The day of arrival ``arrival_day`` knows ``moment`` by (as the triggers write it)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


class ArrivalCounts:
    """The cache of one store (module docstring); handlers run in threads."""

    def __init__(self) -> None:
        self._parts: dict[Part, tuple[int, Counts]] = {}
        # horizon -> (key of the days before the newest, their sum, key of all, sum of all)
        self._sums: dict[datetime, tuple[Key, Counts, Key, Counts]] = {}
        self._lock = threading.Lock()

    def after(self, conn: sa.Connection, horizon: datetime) -> Counts:
        """What arrived after ``horizon``: ``(by feed (count, newest date), by tag)``. The
        dictionaries are shared: callers copy them before changing them."""
        first = day_of(horizon)
        days = conn.execute(
            sa.select(arrival_day_t.c.day, arrival_day_t.c.version)
            .where(arrival_day_t.c.day >= first)
            .order_by(arrival_day_t.c.day)
        ).all()
        whole: Key = tuple(((d, horizon if d == first else None), v) for d, v in days)
        if not whole:
            return {}, {}
        cached = self._sums.get(horizon)
        if cached is not None and cached[2] == whole:
            return cached[3]
        older_key = whole[:-1]
        if cached is not None and cached[0] == older_key:
            older = cached[1]
        else:
            older = self._older(conn, cached, older_key)
        total = _sum([older, self._part(conn, *whole[-1])])
        with self._lock:
            _bounded(self._sums, HORIZONS_KEPT)[horizon] = (older_key, older, whole, total)
        return total

    def _older(
        self, conn: sa.Connection, cached: tuple[Key, Counts, Key, Counts] | None, key: Key
    ) -> Counts:
        """The sum of the days of ``key`` (all but a horizon's newest). When one day alone
        changed since the cached sum (an older entry rewritten, a correction), that sum
        corrected by the day's old and new counts; else the sum of every day."""
        changed = [] if cached is None else _changed(cached[0], key)
        if len(changed) == 1 and cached is not None:
            (part, was), now = changed[0]
            before = self._parts.get(part)
            if before is not None and before[0] == was:
                after = self._part(conn, part, now)
                return _replaced(
                    cached[1], before[1], after, lambda: [self._part(conn, *k) for k in key]
                )
        return _sum(self._part(conn, part, version) for part, version in key)

    def _part(self, conn: sa.Connection, part: Part, version: int) -> Counts:
        found = self._parts.get(part)
        if found is not None and found[0] == version:
            return found[1]
        counts = _count(conn, *part)
        with self._lock:
            self._parts.pop(part, None)  # the older version goes
            _bounded(self._parts, PARTS_KEPT)[part] = (version, counts)
        return counts


K = TypeVar("K")
V = TypeVar("V")


def _bounded(cache: dict[K, V], size: int) -> dict[K, V]:
    """``cache``, its first entries dropped so that one more fits in ``size``."""
    while len(cache) >= size:
        cache.pop(next(iter(cache)), None)
    return cache


def _changed(was: Key, now: Key) -> list[tuple[tuple[Part, int], int]]:
    """The days of ``now`` whose version differs from ``was`` ((day, old version), new
    version); every day when the days themselves differ."""
    if [part for part, _ in was] != [part for part, _ in now]:
        return [(k, -1) for k in now]
    return [(old, version) for old, (_, version) in zip(was, now, strict=True) if old[1] != version]


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return a if b is None or (a is not None and a > b) else b


def _sum(parts: Iterable[Counts]) -> Counts:
    feeds: ByFeed = {}
    tags: dict[str, int] = {}
    for by_feed, by_tag in parts:
        for feed, (n, newest) in by_feed.items():
            had = feeds.get(feed)
            feeds[feed] = (n, newest) if had is None else (had[0] + n, _later(had[1], newest))
        for tag, n in by_tag.items():
            tags[tag] = tags.get(tag, 0) + n
    return feeds, tags


def _replaced(total: Counts, old: Counts, new: Counts, parts: Callable[[], list[Counts]]) -> Counts:
    """``total`` with one of its days' counts ``old`` replaced by ``new``. A feed whose
    newest date was that day's gets the newest of its days again (from ``parts``, all of
    them, read only then); what falls to zero goes, as a sum would leave it out."""
    feeds, tags = dict(total[0]), dict(total[1])
    dropped = []
    for feed, (n, newest) in old[0].items():
        count, top = feeds[feed]
        feeds[feed] = (count - n, top)
        if newest == top and new[0].get(feed, (0, None))[1] != top:
            dropped.append(feed)
    for feed, (n, newest) in new[0].items():
        count, top = feeds.get(feed, (0, None))
        feeds[feed] = (count + n, _later(top, newest))
    if dropped:
        every = parts()
        for feed in dropped:
            dates = (p[0][feed][1] for p in every if feed in p[0])
            feeds[feed] = (feeds[feed][0], max((d for d in dates if d is not None), default=None))
    for tag, n in old[1].items():
        tags[tag] -= n
    for tag, n in new[1].items():
        tags[tag] = tags.get(tag, 0) + n
    return {f: v for f, v in feeds.items() if v[0]}, {t: n for t, n in tags.items() if n}


def _count(conn: sa.Connection, day: str, horizon: datetime | None) -> Counts:
    """What arrived on ``day`` (after ``horizon`` when given), by feed (count, newest date)
    and by tag: from the arrival index alone (``ix_entry_arrival``: arrival, feed, date)
    for feeds, and joined to the tags' key for tags; no state lookups. Grouped by an
    expression: no index serves it, so SQLite does not walk the feeds' index for the GROUP
    BY (reading every row)."""
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    at = entry_t.c.first_seen_at
    since = at >= start if horizon is None else at > horizon
    arrived = sa.and_(since, at < start + DAY)
    feed = (entry_t.c.feed_id + "").label("feed")
    by_feed = sa.select(feed, sa.func.count(), sa.func.max(entry_t.c.published_at))
    tag = (tag_t.c.tag + "").label("tag")  # likewise: not a walk of the tags' index
    by_tag = (
        sa.select(tag, sa.func.count())
        .select_from(entry_t.join(tag_t, tag_t.c.entry_id == entry_t.c.id))
        .where(arrived)
        .group_by(tag)
    )
    feeds = {
        str(f): (int(n), newest)
        for f, n, newest in conn.execute(by_feed.where(arrived).group_by(feed))
    }
    return feeds, {str(t): int(n) for t, n in conn.execute(by_tag)}
