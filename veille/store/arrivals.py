"""What arrived after a reader's horizon, by feed and by tag: the part of its unread counts
that is the same for every reader of that horizon (``Store.unread_summary`` corrects it by
the reader's own states).

It is counted day of arrival by day (UTC), and each day's counts are cached under that
day's version in ``arrival_day``, which the database's triggers increase in every
transaction that inserts, deletes or changes an entry arrived that day or its tags
(migration 0012). A horizon's counts are the sum of its own day (counted from the horizon
on) and of every later day; when versions change, only the days that changed are counted
again — after a fetch cycle's save, the newest day alone, added to the cached sum of the days
before it. When an older day changed (an entry rewritten, a correction), the horizon's sum of
those days is corrected by what changed in that day's counts (kept from one count to the
next), not summed again (BENCHMARKS.md, « API Google Reader »).

The versions are read before the counts: counts newer than their version only cost a
recount at the next call, never a stale answer. Versions are compared for equality, never
ordered, so transactions committing out of order (PostgreSQL) cannot hide a change.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa

from veille.store.tables import arrival_day_t, entry_t, tag_t

ByFeed = dict[str, tuple[int, datetime | None]]  # feed -> (count, newest publication date)
Counts = tuple[ByFeed, dict[str, int]]  # by feed, by tag
# A day's part: (day, the horizon when it is that horizon's own day, else None); a version.
Part = tuple[str, datetime | None]
Key = tuple[tuple[Part, int], ...]
Step = tuple[Counts, Counts]  # a day's counts that changed between two versions: old, new

DAY = timedelta(days=1)
PARTS_KEPT = 4096  # days' counts (a day's newest version only), and horizons' own days
HORIZONS_KEPT = 256  # horizons' sums
STEPS_KEPT = 256  # versions of a day whose changes to the next are kept (small: what changed)
STEPS_APPLIED = 4  # days changed since a horizon's sum beyond which it is summed again


def day_of(moment: datetime) -> str:
    """The day of arrival ``arrival_day`` knows ``moment`` by (as the triggers write it)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


class ArrivalCounts:
    """The cache of one store (module docstring); handlers run in threads.

    Each count of a day gets a serial number: the identity of what was counted (two threads
    may count one version at different instants). A horizon's sum keeps the serials of the
    counts it added up, and the steps between a day's successive counts are kept by serial,
    so a sum is corrected from exactly the counts it was made of."""

    def __init__(self) -> None:
        self._serials = itertools.count(1)
        self._parts: dict[Part, tuple[int, int, Counts]] = {}  # part -> (version, serial, …)
        # part -> {serial: (serial of its next count, what changed between the two)}
        self._steps: dict[Part, dict[int, tuple[int, Step]]] = {}
        self._sums: dict[datetime, Sum] = {}
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
        if cached is not None and cached.whole == whole:
            return cached.total
        older_key = whole[:-1]
        if cached is not None and cached.older_key == older_key:
            serials, older = cached.serials, cached.older
        else:
            serials, older = self._older(conn, cached, older_key)
        total = _sum([older, self._part(conn, *whole[-1])[1]])
        with self._lock:
            found = Sum(older_key, serials, older, whole, total)
            _bounded(self._sums, HORIZONS_KEPT)[horizon] = found
        return total

    def _older(
        self, conn: sa.Connection, cached: Sum | None, key: Key
    ) -> tuple[tuple[int, ...], Counts]:
        """The serials and sum of the days of ``key`` (all but a horizon's newest). When the
        days are those of the cached sum and each day that changed since has every step
        recorded from the count summed to its current one (an older entry rewritten, a
        correction), that sum corrected step by step; else the sum of every day."""
        changed = _changed(cached.older_key, key) if cached is not None else None
        if cached is not None and changed is not None and len(changed) <= STEPS_APPLIED:
            serials = list(cached.serials)
            steps = []
            for i in changed:
                serial, _ = self._part(conn, *key[i])
                path = self._path(key[i][0], serials[i], serial)
                if path is None:
                    break
                serials[i] = serial
                steps += path
            else:
                total = cached.older
                for old, new in steps:
                    total = _replaced(
                        total, old, new, lambda: [self._part(conn, *k)[1] for k in key]
                    )
                return tuple(serials), total
        counted = [self._part(conn, part, version) for part, version in key]
        return tuple(serial for serial, _ in counted), _sum(c for _, c in counted)

    def _path(self, part: Part, was: int, now: int) -> list[Step] | None:
        """The recorded steps of ``part`` from its count ``was`` to its count ``now``; None
        if one is missing."""
        known = self._steps.get(part, {})
        path: list[Step] = []
        while was != now and len(path) <= STEPS_KEPT:
            found = known.get(was)
            if found is None:
                return None
            was, step = found
            path.append(step)
        return path if was == now else None

    def _part(self, conn: sa.Connection, part: Part, version: int) -> tuple[int, Counts]:
        """The serial and counts of ``part`` at ``version``, counted unless cached."""
        found = self._parts.get(part)
        if found is not None and found[0] == version:
            return found[1], found[2]
        counts = _count(conn, *part)
        with self._lock:
            serial = next(self._serials)
            self._parts.pop(part, None)  # the older count goes, its step to this one stays
            _bounded(self._parts, PARTS_KEPT)[part] = (version, serial, counts)
            if found is not None:
                steps = self._steps.pop(part, {})  # re-inserted: the last changed, last out
                _bounded(steps, STEPS_KEPT)[found[1]] = (serial, _step(found[2], counts))
                _bounded(self._steps, PARTS_KEPT)[part] = steps
        return serial, counts


@dataclass(frozen=True, slots=True)
class Sum:
    """A horizon's cached counts: the days before its newest (their versions, the serials
    of the counts added up, the sum), and all of them."""

    older_key: Key
    serials: tuple[int, ...]
    older: Counts
    whole: Key
    total: Counts


K = TypeVar("K")
V = TypeVar("V")


def _bounded(cache: dict[K, V], size: int) -> dict[K, V]:
    """``cache``, its first entries dropped so that one more fits in ``size``."""
    while len(cache) >= size:
        cache.pop(next(iter(cache)), None)
    return cache


def _changed(was: Key, now: Key) -> list[int] | None:
    """The positions of the days of ``now`` whose version differs from ``was``; None when
    the days themselves differ."""
    if [part for part, _ in was] != [part for part, _ in now]:
        return None
    return [i for i, (old, new) in enumerate(zip(was, now, strict=True)) if old[1] != new[1]]


def _step(old: Counts, new: Counts) -> Step:
    """What changed from ``old`` to ``new``: the feeds and tags whose counts differ, with
    their old values and their new ones (absent: none)."""
    feeds = [f for f in old[0].keys() | new[0].keys() if old[0].get(f) != new[0].get(f)]
    tags = [t for t in old[1].keys() | new[1].keys() if old[1].get(t) != new[1].get(t)]
    return (
        ({f: old[0][f] for f in feeds if f in old[0]}, {t: old[1][t] for t in tags if t in old[1]}),
        ({f: new[0][f] for f in feeds if f in new[0]}, {t: new[1][t] for t in tags if t in new[1]}),
    )


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
    """``total`` with one of its days' counts (or what changed of them) ``old`` replaced by
    ``new``. A feed whose newest date was the one going gets the newest of its days again
    (from ``parts``, all of them, read only then); what falls to zero goes, as a sum would
    leave it out."""
    feeds, tags = dict(total[0]), dict(total[1])
    dropped = []
    for feed, (n, newest) in old[0].items():
        count, top = feeds.get(feed, (0, None))
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
        tags[tag] = tags.get(tag, 0) - n
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
