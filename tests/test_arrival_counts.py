"""The cached counts of arrivals behind the unread counts (``store/arrivals.py``), on SQLite
and PostgreSQL: every way entries or their tags change — through the store or by SQL — changes
the next answer exactly as a cold count would give it, and after a change only the days it
touched are counted again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from tests.stores import postgres_schema
from veille.models import FeedSpec, ParsedEntry, Reader
from veille.rules.tagging import TagReason
from veille.store import Store, arrivals
from veille.store.accounts import FIRST_HORIZON
from veille.store.tables import entry_t

H = timedelta(hours=1)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
HORIZON = NOW - 72 * H  # three days back, at noon


def parsed(key: str, published: datetime, title: str = "") -> ParsedEntry:
    return ParsedEntry(key, key, f"https://a.example/{key}", title or key, published=published)


def tagged(tag: str) -> Callable[[ParsedEntry], dict[str, TagReason]]:
    return lambda e: {tag: TagReason("title", "x")}


def fill(store: Store) -> dict[str, int]:
    """Feeds a and b; ``old`` arrived before the horizon, ``d1`` to ``d3`` on each of the
    three days after it, ``today`` this morning; themes ``ia`` and ``ent``."""
    store.sync_feeds([FeedSpec("a", "https://a.example/f"), FeedSpec("b", "https://b.example/f")])
    arrivals_ = {"old": 100, "d1": 66, "d2": 40, "d3": 20, "today": 2}
    for key, hours in arrivals_.items():
        at = NOW - hours * H
        feed = "b" if key in ("d2", "today") else "a"
        store.save_entries(
            feed, [parsed(key, at)], now=at, tagger=tagged("ia" if key < "d3" else "ent")
        )
    with store.engine.connect() as conn:
        return {r.key: r.id for r in conn.execute(sa.select(entry_t.c.key, entry_t.c.id))}


def counts(
    store: Store, reader: Reader
) -> tuple[dict[str, tuple[int, datetime | None]], dict[str, int], int]:
    found = store.unread_summary(reader)
    return found.by_feed, found.by_tag, found.total


def cold(
    store: Store, reader: Reader
) -> tuple[dict[str, tuple[int, datetime | None]], dict[str, int], int]:
    """The same counts from another store object over the same database: nothing cached."""
    other = Store(store.url)
    try:
        return counts(other, reader)
    finally:
        other.close()


def _new_entry(store: Store, ids: dict[str, int]) -> None:
    store.save_entries("a", [parsed("new", NOW - H)], now=NOW, tagger=tagged("ent"))


def _rewritten(store: Store, ids: dict[str, int]) -> None:  # d1 gets ent, a later date
    changed = parsed("d1", NOW - 30 * H, title="d1 corrigé")
    store.save_entries("a", [changed], now=NOW, tagger=tagged("ent"))


def _retag(store: Store, ids: dict[str, int]) -> None:  # everything ent
    store.retag(lambda *_: {"ent": TagReason("title", "x")}, "empreinte-2", now=NOW)


def _correction(store: Store, ids: dict[str, int]) -> None:
    store.correct_tag(ids["d2"], "evaluation", added=True, editor="Maud", now=NOW)


def _correction_undone(store: Store, ids: dict[str, int]) -> None:
    store.correct_tag(ids["d2"], "ia", added=False, editor="Maud", now=NOW)
    store.undo_correction(ids["d2"], "ia", TagReason("title", "x"), NOW)
    store.correct_tag(ids["d3"], "ent", added=False, editor="Maud", now=NOW)


def _deleted(store: Store, ids: dict[str, int]) -> None:  # by hand, its tags with it
    with store.engine.begin() as conn:
        conn.execute(sa.delete(entry_t).where(entry_t.c.id == ids["d2"]))


def _feed_deleted(store: Store, ids: dict[str, int]) -> None:  # entries and tags cascade
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM feed WHERE id = 'b'"))


def _arrival_moved(store: Store, ids: dict[str, int]) -> None:  # old now arrives after
    with store.engine.begin() as conn:
        moved = sa.update(entry_t).where(entry_t.c.id == ids["old"])
        conn.execute(moved.values(first_seen_at=NOW - 10 * H))


def _date_moved(store: Store, ids: dict[str, int]) -> None:  # feed a's newest date
    with store.engine.begin() as conn:
        moved = sa.update(entry_t).where(entry_t.c.id == ids["d3"])
        conn.execute(moved.values(published_at=NOW - 50 * H))


def _marked(store: Store, ids: dict[str, int]) -> None:  # for the first reader only
    store.mark(1, [ids["d2"]], read=True, now=NOW)
    store.mark(1, [ids["old"]], read=False, now=NOW)


# (change, what the first reader's counts become: by feed, by tag, total)
CHANGES = [
    (_new_entry, {"a": (3, NOW - H), "b": (2, NOW - 2 * H)}, {"ia": 2, "ent": 3}, 5),
    (_rewritten, {"a": (2, NOW - 20 * H), "b": (2, NOW - 2 * H)}, {"ia": 1, "ent": 3}, 4),
    (_retag, {"a": (2, NOW - 20 * H), "b": (2, NOW - 2 * H)}, {"ent": 4}, 4),
    (_correction, None, {"ia": 2, "ent": 2, "evaluation": 1}, 4),
    (_correction_undone, None, {"ia": 2, "ent": 1}, 4),
    (_deleted, {"a": (2, NOW - 20 * H), "b": (1, NOW - 2 * H)}, {"ia": 1, "ent": 2}, 3),
    (_feed_deleted, {"a": (2, NOW - 20 * H)}, {"ia": 1, "ent": 1}, 2),
    (_arrival_moved, {"a": (3, NOW - 20 * H), "b": (2, NOW - 2 * H)}, {"ia": 2, "ent": 3}, 5),
    (_date_moved, {"a": (2, NOW - 50 * H), "b": (2, NOW - 2 * H)}, None, 4),
    (_marked, {"a": (3, NOW - 20 * H), "b": (1, NOW - 2 * H)}, {"ia": 1, "ent": 3}, 4),
]
BEFORE = ({"a": (2, NOW - 20 * H), "b": (2, NOW - 2 * H)}, {"ia": 2, "ent": 2}, 4)


@pytest.mark.parametrize(("change", "by_feed", "by_tag", "total"), CHANGES)
def test_every_change_reaches_the_next_count(
    store: Store,
    change: Callable[[Store, dict[str, int]], None],
    by_feed: dict[str, tuple[int, datetime]] | None,
    by_tag: dict[str, int] | None,
    total: int,
) -> None:
    """Counts asked (and cached) for two readers of one horizon, a change, then the counts
    again: the expected ones (``_marked`` marks for the first reader only), and those of a
    store with nothing cached."""
    ids = fill(store)
    first = store.add_account("ana", "lecteur", now=HORIZON + FIRST_HORIZON)
    second = store.add_account("ben", "lecteur", now=HORIZON + FIRST_HORIZON)
    assert first.id == 1 and first.read_before == second.read_before == HORIZON
    assert counts(store, first.reader) == counts(store, second.reader) == BEFORE
    change(store, ids)
    found = counts(store, first.reader)
    expected = (by_feed or BEFORE[0], by_tag or BEFORE[1], total)
    assert found == expected
    assert found == cold(store, first.reader)
    assert counts(store, second.reader) == cold(store, second.reader)


def test_day_boundaries(store: Store) -> None:
    """A horizon at midnight: what arrived at that instant is read, a microsecond later is
    not; a day's first instant belongs to that day (the triggers and the counts agree)."""
    store.sync_feeds([FeedSpec("a", "https://a.example/f")])
    midnight = datetime(2026, 11, 18, tzinfo=UTC)
    moments = {"at": midnight, "after": midnight + timedelta(microseconds=1)}
    moments |= {"next": midnight + 24 * H, "last": midnight + 24 * H - timedelta(microseconds=1)}
    for key, at in moments.items():
        store.save_entries("a", [parsed(key, at)], now=at, tagger=tagged("ia"))
    reader = Reader(1, midnight)
    assert counts(store, reader) == ({"a": (3, midnight + 24 * H)}, {"ia": 3}, 3)
    store.save_entries("a", [parsed("late", midnight)], now=midnight + 25 * H, tagger=tagged("ent"))
    assert counts(store, reader) == ({"a": (4, midnight + 24 * H)}, {"ia": 3, "ent": 1}, 4)
    assert counts(store, reader) == cold(store, reader)


def test_only_the_days_changed_are_counted_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a new arrival, the newest day alone is counted again; after a rewrite of an
    older entry, its day alone; after a retag, the days of the entries whose themes changed."""
    ids = fill(store)
    reader = store.add_account("ana", "lecteur", now=HORIZON + FIRST_HORIZON).reader
    counted: list[tuple[str, bool]] = []
    real = arrivals._count

    def spy(conn: sa.Connection, day: str, horizon: datetime | None) -> arrivals.Counts:
        counted.append((day, horizon is not None))
        return real(conn, day, horizon)

    monkeypatch.setattr(arrivals, "_count", spy)
    counts(store, reader)
    # The horizon's own day (from noon on), then each later day with an arrival.
    days = [("2026-11-17", True), ("2026-11-18", False), ("2026-11-19", False)]
    assert counted == [*days, ("2026-11-20", False)]
    counted.clear()
    counts(store, reader)
    assert counted == []
    _new_entry(store, ids)
    counts(store, reader)
    assert counted == [("2026-11-20", False)]
    counted.clear()
    _correction(store, ids)  # d2, arrived on the 18th
    assert counts(store, reader)[1]["evaluation"] == 1
    assert counted == [("2026-11-18", False)]
    counted.clear()
    _retag(store, ids)
    assert counts(store, reader)[1] == {"ent": 5, "evaluation": 1}  # the verdict stays
    assert counted == days[:2]  # only d1 and d2 changed themes (d3 and today had ent)


def test_a_copy_reaches_the_counts_of_its_target(store: Store, tmp_path: Path) -> None:
    """``veille db copy`` writes entries, then their tags, into a store that counts between
    its batches: at each step, the counts of what it holds."""
    fill(store)
    reader = Reader(1, HORIZON)
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    try:
        target.migrate()
        seen = []
        for batches in range(1, 40):  # one table more each time (a copied one: one batch)
            copied = store.copy_to(target, max_batches=batches)
            seen.append(counts(target, reader))
            assert seen[-1] == cold(target, reader)
            if copied.keys() >= {"entry", "entry_tag"} and copied["entry_tag"]:
                break
        assert seen[-1] == BEFORE
        assert ({}, {"ia": 2, "ent": 2}, 4) not in seen  # entries counted before their tags
        assert any(c[2] == 4 and not c[1] for c in seen)
    finally:
        target.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_fills_the_days_already_there(backend: str, tmp_path: Path) -> None:
    """A store migrated with entries in it: every day of arrival gets its version."""
    if backend == "sqlite":
        migrated(f"sqlite:///{tmp_path / 'veille.db'}")
    else:
        with postgres_schema() as url:
            migrated(url)


def migrated(url: str) -> None:
    store = Store(url)
    cfg = AlembicConfig(str(resources.files("veille.store") / "alembic.ini"))
    try:
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0011")
        fill(store)
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            days = conn.execute(sa.text("SELECT day FROM arrival_day ORDER BY day")).scalars()
            assert list(days) == [f"2026-11-{d}" for d in (16, 17, 18, 19, 20)]
        assert counts(store, Reader(1, HORIZON)) == BEFORE
    finally:
        store.close()


def test_a_sum_behind_several_changes_is_corrected_step_by_step(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader whose last count is several changes old: each day's steps since the counts
    it summed (counted meanwhile for another reader) correct its sum, exactly — a feed's
    newest date that came and went included."""
    ids = fill(store)
    first = Reader(1, HORIZON)
    other = Reader(2, HORIZON + H)  # its own first day, the same later days
    assert counts(store, first) == BEFORE
    counts(store, other)
    steps: list[int] = []
    real = arrivals._replaced
    monkeypatch.setattr(
        arrivals,
        "_replaced",
        lambda *a: steps.append(1) or real(*a),  # type: ignore[func-returns-value]
    )

    def moved(published: datetime) -> None:
        with store.engine.begin() as conn:
            query = sa.update(entry_t).where(entry_t.c.id == ids["d3"])
            conn.execute(query.values(published_at=published))
        counts(store, other)

    moved(NOW - 5 * H)  # feed a's newest, for a while
    moved(NOW - 30 * H)
    _correction(store, ids)
    counts(store, other)
    steps.clear()
    found = counts(store, first)
    assert found == (
        {"a": (2, NOW - 30 * H), "b": (2, NOW - 2 * H)},
        BEFORE[1] | {"evaluation": 1},
        4,
    )
    assert found == cold(store, first)
    assert len(steps) == 3  # two steps of the 19th, one of the 18th
