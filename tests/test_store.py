"""The store on a real SQLite file: schema, identity and dedup, pagination, bookkeeping."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from veille.errors import QueryError
from veille.models import FeedSpec, ParsedEntry, Selection, Validators
from veille.store import FetchSuccess, Store, decode_cursor, encode_cursor
from veille.store import entries as entries_module
from veille.store import fulltext as fulltext_module
from veille.store.base import SCHEMA_HEAD

from .stores import postgres_schema


def entry(i: int, **kw: object) -> ParsedEntry:
    base = ParsedEntry(
        key=f"guid-{i}",
        guid=f"guid-{i}",
        url=f"https://example.org/{i}",
        title=f"Article {i}",
        content_html=f"<p>Contenu {i}</p>",
        published=datetime(2026, 11, 28, tzinfo=UTC) - timedelta(hours=i),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_store: Store) -> None:
    store = sqlite_store
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    head = ScriptDirectory(str(resources.files("veille.store") / "migrations")).get_current_head()
    assert version == head == SCHEMA_HEAD


def test_a_store_at_head_starts_without_alembic(sqlite_store: Store) -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom veille.store import Store\n"
        f"Store({str(sqlite_store.engine.url)!r}).migrate()\n"
        "print('alembic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_migrate_is_idempotent(store: Store) -> None:
    store.migrate()
    assert store.integrity_ok()


def test_new_unchanged_and_changed_entries(store: Store, now: datetime) -> None:
    store.sync_feeds([FeedSpec("a", "https://a.example/feed")])
    entries = [entry(i) for i in range(3)]
    assert store.save_entries("a", entries, now=now) == (3, 0)
    with store.engine.connect() as conn:
        before = conn.execute(sa.text("SELECT id, changed_at FROM entry ORDER BY id")).all()
    later = now + timedelta(hours=1)
    assert store.save_entries("a", entries, now=later) == (0, 0)  # unchanged: not rewritten
    with store.engine.connect() as conn:
        after = conn.execute(sa.text("SELECT id, changed_at FROM entry ORDER BY id")).all()
    assert before == after
    changed = [entries[0], replace(entries[1], title="Article 1 (corrigé)"), entries[2]]
    assert store.save_entries("a", changed, now=later) == (0, 1)
    assert store.count_entries() == 3
    assert store.feed_states()[0].entries == 3


def test_guid_that_changes_on_every_fetch_is_not_a_new_entry(store: Store, now: datetime) -> None:
    store.sync_feeds([FeedSpec("a", "https://a.example/feed")])
    assert store.save_entries("a", [entry(1)], now=now) == (1, 0)
    regenerated = entry(1, key="random-123", guid="random-123")
    assert store.save_entries("a", [regenerated], now=now) == (0, 0)
    assert store.count_entries() == 1


def test_same_guid_in_two_feeds_are_two_entries(store: Store, now: datetime) -> None:
    store.sync_feeds([FeedSpec("a", "https://a.example/f"), FeedSpec("b", "https://b.example/f")])
    store.save_entries("a", [entry(1)], now=now)
    store.save_entries("b", [entry(1)], now=now)
    assert store.count_entries() == 2


def test_missing_date_is_first_seen_and_kept(store: Store, now: datetime) -> None:
    store.sync_feeds([FeedSpec("a", "https://a.example/feed")])
    store.save_entries("a", [entry(1, published=None)], now=now)
    store.save_entries(
        "a", [entry(1, published=None, title="Nouveau titre")], now=now + timedelta(days=1)
    )
    page = store.list_entries(Selection())
    assert page.entries[0].published == now
    assert page.entries[0].title == "Nouveau titre"


def test_large_feed_is_saved_in_batches(store: Store, now: datetime) -> None:
    store.sync_feeds([FeedSpec("a", "https://a.example/feed")])
    assert store.save_entries("a", [entry(i) for i in range(1234)], now=now) == (1234, 0)
    assert store.count_entries("a") == 1234


def test_keyset_pagination_is_newest_first_and_complete(store: Store, now: datetime) -> None:
    store.sync_feeds([FeedSpec("a", "https://a.example/feed")])
    same_time = datetime(2026, 11, 1, tzinfo=UTC)
    entries = [entry(i) for i in range(10)] + [
        entry(100 + i, published=same_time) for i in range(5)
    ]
    store.save_entries("a", entries, now=now)
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        page = store.list_entries(Selection(limit=4, cursor=cursor))
        seen += [e.title for e in page.entries]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 15
    assert seen[:3] == ["Article 0", "Article 1", "Article 2"]


def test_filters_by_feed_and_dates(store: Store, now: datetime) -> None:
    store.sync_feeds([FeedSpec("a", "https://a.example/f"), FeedSpec("b", "https://b.example/f")])
    store.save_entries("a", [entry(i) for i in range(5)], now=now)
    store.save_entries("b", [entry(i) for i in range(5, 8)], now=now)
    assert len(store.list_entries(Selection(feeds=("b",))).entries) == 3
    since = datetime(2026, 11, 28, tzinfo=UTC) - timedelta(hours=2)
    page = store.list_entries(Selection(since=since))
    assert [e.title for e in page.entries] == ["Article 0", "Article 1", "Article 2"]
    page = store.list_entries(Selection(until=since))
    assert len(page.entries) == 5


@pytest.mark.parametrize(
    "cursor",
    ["", "%%%", "bm90LWEtY3Vyc29y", encode_cursor(datetime(2026, 11, 29, tzinfo=UTC), 1)[:-3]],
    ids=["empty", "not-base64", "not-a-cursor", "truncated"],  # the same ids at every run
)
def test_bad_cursor_is_a_query_error(cursor: str) -> None:
    with pytest.raises(QueryError):
        decode_cursor(cursor)


def test_sync_feeds_follows_the_config(store: Store, now: datetime) -> None:
    store.sync_feeds(
        [FeedSpec("a", "https://a.example/f", title="A"), FeedSpec("b", "https://b.example/f")]
    )
    store.record_success(
        "a", now=now, next_fetch_at=now + timedelta(minutes=30), validators=Validators('"x"', None)
    )
    store.sync_feeds([FeedSpec("a", "https://a.example/f", title="A bis")])
    states = store.feed_states()
    assert [s.id for s in states] == ["a"]
    assert states[0].title == "A bis" and states[0].status == "ok"
    # A changed URL starts afresh (no stale validators).
    store.sync_feeds([FeedSpec("a", "https://a.example/nouveau")])
    target = store.targets(["a"])[0]
    assert target.url == "https://a.example/nouveau" and target.validators == Validators()


def test_targets_due_and_disabled(store: Store, now: datetime) -> None:
    store.sync_feeds([FeedSpec(x, f"https://{x}.example/f") for x in "abc"])
    store.record_success(
        "a", now=now, next_fetch_at=now + timedelta(minutes=30), validators=Validators()
    )
    store.record_error("b", now=now, message="parti", next_fetch_at=None, disable=True)
    assert [t.id for t in store.targets(due_at=now)] == ["c"]
    assert [t.id for t in store.targets(due_at=now + timedelta(hours=1))] == ["a", "c"]
    assert [t.id for t in store.targets()] == ["a", "c"]
    assert [t.id for t in store.targets(["b"])] == ["b"]  # named explicitly: still fetched


def test_feed_states_never_show_a_user_name(store: Store) -> None:
    store.sync_feeds([FeedSpec("lettres", "imaps://rupn.college@imap.ac-exemple.fr/INBOX")])
    assert store.feed_states()[0].url == "imaps://imap.ac-exemple.fr/INBOX"
    assert store.targets()[0].url.startswith("imaps://rupn.college@")  # the fetcher needs it


def test_dense_and_sparse_search_plans_agree(
    sqlite_store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word in most entries walks the newest entries; a rare one materialises its matches:
    same rows, same order, same pages."""

    store = sqlite_store
    store.sync_feeds([FeedSpec("a", "https://a.example/feed")])
    store.save_entries(
        "a",
        [
            entry(
                i,
                title=f"Le numérique au collège {i}" + (" et Quizinière" if i % 97 == 0 else ""),
                published=datetime(2026, 11, 28, tzinfo=UTC) - timedelta(minutes=i % 700),
            )
            for i in range(1500)
        ],
        now=now,
    )

    def pages(query: str) -> list[list[str]]:
        out, cursor = [], None
        for _ in range(5):
            page = store.list_entries(Selection(query=query, limit=40, cursor=cursor))
            out.append([e.id for e in page.entries])
            cursor = page.next_cursor
            if cursor is None:
                break
        return out

    with store.engine.connect() as conn:
        assert fulltext_module.is_dense(conn, "numérique")
        assert not fulltext_module.is_dense(conn, "quizinière")
    dense = pages("numérique"), pages("quizinière")
    monkeypatch.setattr(fulltext_module, "DENSE_MIN", 10**9)  # force the sparse plan
    with store.engine.connect() as conn:
        assert not fulltext_module.is_dense(conn, "numérique")
    assert (pages("numérique"), pages("quizinière")) == dense
    assert sum(len(p) for p in dense[1]) == 16


def test_feed_titles_and_last_success(store: Store, now: datetime) -> None:
    store.sync_feeds(
        [FeedSpec("a", "https://a.example/f", title="A"), FeedSpec("b", "https://b.example/f")]
    )
    assert store.feed_titles() == {"a": "A", "b": "b"}
    assert store.last_success_at() is None
    store.record_success("b", now=now, next_fetch_at=now, validators=Validators(), title="Le B")
    assert store.feed_titles() == {"a": "A", "b": "Le B"}
    assert store.last_success_at() == now


def test_a_feeds_shown_title_is_the_same_everywhere(store: Store, now: datetime) -> None:
    """feeds.yaml's title, else the feed's own, else its id: in the feeds' states, the menus'
    titles and the entries alike (one rule, in SQL)."""
    store.sync_feeds(
        [
            FeedSpec("conf", "https://a.example/f", title="Titre choisi"),
            FeedSpec("own", "https://b.example/f"),
            FeedSpec("bare", "https://c.example/f"),
        ]
    )
    for feed_id in ("conf", "own"):
        store.record_success(
            feed_id, now=now, next_fetch_at=now, validators=Validators(), title="Titre du flux"
        )
        store.save_entries(feed_id, [entry(0)], now=now)
    store.save_entries("bare", [entry(0)], now=now)
    expected = {"conf": "Titre choisi", "own": "Titre du flux", "bare": "bare"}
    assert {s.id: s.title for s in store.feed_states()} == expected
    assert store.feed_titles() == expected
    listed = store.list_entries(Selection(limit=10)).entries
    assert {e.feed: e.feed_title for e in listed} == expected
    shown = {e.feed: store.get_entry(int(e.id)) for e in listed}
    assert {f: e.feed_title for f, e in shown.items() if e is not None} == expected


def test_postgres_search_plans_agree(
    store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: probing the newest entries, walking them, or collecting rare matches first
    through the index give the same pages (on SQLite this search path is not used)."""

    store.sync_feeds([FeedSpec("a", "https://a.example/feed")])
    words = lambda i: ("quizinière " if i % 100 == 0 else "") + ("tablette " if i % 10 == 0 else "")  # noqa: E731
    store.save_entries(
        "a",
        [
            entry(
                i,
                title=f"Le numérique {words(i)}{i}",
                published=datetime(2026, 11, 28, tzinfo=UTC) - timedelta(minutes=i),
            )
            for i in range(300)
        ],
        now=now,
    )

    def first_pages() -> list[list[str]]:
        return [
            [e.id for e in store.list_entries(Selection(query=q, limit=20)).entries]
            for q in ("numérique", "tablette", "quizinière", "quizinière OR tablette")
        ]

    monkeypatch.setattr(fulltext_module, "PG_PROBE", 10**6)  # no probe: the default plan
    expected = first_pages()
    monkeypatch.setattr(fulltext_module, "PG_PROBE", 50)
    monkeypatch.setattr(fulltext_module, "PG_DENSE", 20)  # 5 %: tablette is dense, quizinière not
    assert first_pages() == expected
    assert [len(p) for p in expected] == [20, 20, 3, 20]


def test_recent_first_search_is_exact_with_backfilled_entries(
    sqlite_store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids follow insertion, not publication: entries inserted late but published recently
    (a back-filled feed) must still come first."""
    import random

    store = sqlite_store
    store.sync_feeds([FeedSpec("a", "https://a.example/f"), FeedSpec("b", "https://b.example/f")])
    rnd = random.Random(7)
    base = datetime(2026, 11, 28, tzinfo=UTC)
    for batch in range(6):  # each save is a later insertion, with dates all over the place
        feed = "ab"[batch % 2]
        store.save_entries(
            feed,
            [
                entry(
                    batch * 1000 + i,
                    title=f"Tablettes {i}" if rnd.random() < 0.08 else f"Autre sujet {i}",
                    published=base - timedelta(minutes=rnd.randrange(0, 20_000)),
                )
                for i in range(400)
            ],
            now=now,
        )
    selections = [
        Selection(query="tablettes", limit=20),
        Selection(query="tablettes", limit=5),
        Selection(query="tablettes", feeds=("b",), limit=20),
        Selection(query="tablettes", limit=200),
        Selection(query="tablettes -autre", since=base - timedelta(days=3), limit=30),
    ]
    fast = [[e.id for e in store.list_entries(s).entries] for s in selections]
    # Ids far from date order (here: every batch spreads over two weeks): past a bound on the
    # entries to check one by one, the plan gives up and the plain plans answer.
    gave_up = []
    recent = fulltext_module.sqlite_recent_matches

    def spy(*args: object) -> object:
        rows = recent(*args)  # type: ignore[arg-type]
        gave_up.append(rows is None)
        return rows

    monkeypatch.setattr(entries_module, "sqlite_recent_matches", spy)  # as entries.py calls it
    monkeypatch.setattr(fulltext_module, "RECENT_BACKFILL_MAX", 5)
    bounded = [[e.id for e in store.list_entries(s).entries] for s in selections]
    assert any(gave_up)
    monkeypatch.setattr(entries_module, "recent_first", lambda *a: False)
    plain = [[e.id for e in store.list_entries(s).entries] for s in selections]
    assert fast == plain == bounded
    assert all(fast) and len(fast[3]) > 100


def test_fetch_success_is_written_with_the_last_entries(
    store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One transaction for an ordinary feed; validators never without their entries."""
    store.sync_feeds([FeedSpec("a", "https://a.example/f"), FeedSpec("b", "https://b.example/f")])
    later = now + timedelta(minutes=30)
    success = FetchSuccess(now, later, Validators('"v1"', None), title="Le A")
    assert store.save_entries("a", [entry(i) for i in range(3)], now=now, success=success) == (3, 0)
    target = store.targets(["a"])[0]
    assert target.validators == Validators('"v1"', None)
    assert store.feed_states()[0].title == "Le A" and store.feed_states()[0].status == "ok"
    # No entry at all: the feed row is still updated.
    store.save_entries("b", [], now=now, success=FetchSuccess(now, later, Validators('"b"', None)))
    assert store.targets(["b"])[0].validators == Validators('"b"', None)

    # A feed of two batches whose last batch fails: the first batch stays, the validators of
    # the fetch are not recorded (the next fetch must not get a 304 for half-saved entries).
    monkeypatch.setattr(entries_module, "BATCH", 2)
    original = entries_module._index
    calls = {"n": 0}

    def failing_index(*args: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disque plein")
        original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(entries_module, "_index", failing_index)
    more = [entry(i) for i in range(10, 14)]
    with pytest.raises(RuntimeError):
        store.save_entries("a", more, now=now, success=FetchSuccess(now, later, Validators('"v2"')))
    assert store.targets(["a"])[0].validators == Validators('"v1"', None)
    assert store.count_entries() == 3 + 2


def test_replicas_syncing_feeds_yaml_together_do_not_collide() -> None:
    """Two processes starting together on PostgreSQL (a worker and a web replica) both sync
    feeds.yaml: each new feed is inserted once, neither fails on the other's insert."""
    specs = [FeedSpec(f"f{i}", f"https://f{i}.example/feed") for i in range(40)]
    with postgres_schema() as url:
        first, second = Store(url), Store(url)
        first.migrate()
        try:
            for round_ in range(5):
                batch = [FeedSpec(f"r{round_}-{s.id}", s.url) for s in specs]
                start = threading.Barrier(2, timeout=30)
                errors: list[BaseException] = []

                def sync(
                    store: Store,
                    batch: list[FeedSpec] = batch,
                    start: Any = start,
                    errors: list[BaseException] = errors,
                ) -> None:
                    start.wait()
                    try:
                        store.sync_feeds(batch)
                    except BaseException as e:
                        errors.append(e)

                threads = [threading.Thread(target=sync, args=(s,)) for s in (first, second)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(60)
                assert not errors, errors
                assert {f.id for f in first.feed_states()} == {s.id for s in batch}
        finally:
            first.close()
            second.close()


def test_two_writers_of_one_fact_at_once(store: Store) -> None:
    """A store-wide fact written by two transactions at once (two replicas, or the scheduler
    and a request): the second waits for the first, then writes; neither fails on the key
    (with a delete then an insert, PostgreSQL's second writer found the first one's row
    gone and its insert failed)."""
    import threading

    from veille.store.base import write_meta
    from veille.store.tables import meta_t

    errors: list[BaseException] = []
    with store.engine.connect() as first:
        first.begin()
        write_meta(first, "test_fact", "one")

        def second() -> None:
            try:
                with store.engine.begin() as conn:
                    write_meta(conn, "test_fact", "two")
            except BaseException as e:  # reported to the test below
                errors.append(e)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)  # it waits on the first writer's row or lock
        first.commit()
    thread.join(30)
    assert not thread.is_alive() and errors == []
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "test_fact")).all()
    assert [r.value for r in rows] == ["two"]
