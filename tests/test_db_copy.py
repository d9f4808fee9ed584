"""``veille db copy``: SQLite → PostgreSQL, idempotent and resumable; the copy answers the API
exactly like the original."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.feedgen import SUBJECTS, item_title
from tests.stores import postgres_schema
from veille.models import Config, FeedSpec, ParsedEntry, Selection, TagRule, Validators
from veille.rules.clustering import ClusterItem, assign_clusters
from veille.rules.ruleset import RuleSet
from veille.settings import Settings
from veille.store import Store
from veille.store import copy as copy_module
from veille.web import create_app

CONFIG = Config(
    path="feeds.yaml",
    feeds=(FeedSpec("a", "https://a.example/f"), FeedSpec("b", "https://b.example/f")),
    tags=(
        TagRule("tablettes", "Tablettes", match=("tablette*",)),
        TagRule("ia", "IA", match=("IA",)),
        TagRule("evaluation", "Évaluation", match=("évaluation",)),
    ),
)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'source.db'}")
    store.migrate()
    store.sync_feeds(CONFIG.feeds)
    rules = RuleSet.from_config(CONFIG)
    now = datetime(2026, 11, 29, 8, tzinfo=UTC)
    for feed in ("a", "b"):
        entries = [
            ParsedEntry(
                key=f"{feed}-{i}",
                guid=f"{feed}-{i}",
                url=f"https://{feed}.example/{i}",
                title=item_title(ord(feed), i),
                summary_html=f"<p>À propos de {SUBJECTS[i % len(SUBJECTS)]}</p>",
                published=now - timedelta(hours=i),
            )
            for i in range(1100)  # more than one copy batch
        ]
        store.save_entries(feed, entries, now=now, tagger=lambda e, f=feed: rules.tag_entry(f, e))
        store.record_success(feed, now=now, next_fetch_at=now, validators=Validators('"e"', None))
    store.retag(rules.tag_fields, rules.fingerprint)
    store.cluster_pending(assign_clusters, ClusterItem, since=now - timedelta(days=14))
    yield store
    store.close()


def api(store: Store, path: str, **params: object) -> object:
    with TestClient(create_app(Settings(), store, CONFIG)) as client:
        r = client.get(path, params=params)  # type: ignore[arg-type]
        assert r.status_code == 200, r.text
        return r.json()


def test_copy_to_postgres_is_resumable_idempotent_and_equal(
    source: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with postgres_schema() as url:
        target = Store(url)
        monkeypatch.setattr(copy_module, "COPY_BATCH", 500)
        first = source.copy_to(target, max_batches=3)  # interrupted inside the entries
        assert first["entry"] == 500 and target.count_entries() == 500
        source.copy_to(target)  # resumes
        again = source.copy_to(target)  # nothing left to copy
        assert again["entry"] <= 500  # only the last batch is re-read, nothing duplicated
        assert target.count_entries() == source.count_entries() == 2200
        assert target.tag_counts() == source.tag_counts()
        assert target.rules_fingerprint() == source.rules_fingerprint()
        for path, params in [
            ("/api/v1/entries", {"limit": 100}),
            ("/api/v1/entries", {"tag": "tablettes", "limit": 30}),
            ("/api/v1/entries", {"q": "l'évaluation", "limit": 30}),
            ("/api/v1/entries", {"q": '"classe inversée" -moodle', "collapse": 1}),
            ("/api/v1/feeds", {}),
            ("/api/v1/tags", {}),
        ]:
            assert api(target, path, **params) == api(source, path, **params), (path, params)
        # New entries get fresh ids after the copy (sequences moved past the copied ones).
        target.save_entries(
            "a",
            [
                ParsedEntry(
                    key="new", guid="new", url=None, title="Nouveau", published=datetime.now(UTC)
                )
            ],
            now=datetime.now(UTC),
        )
        assert target.count_entries() == 2201
        target.close()


def test_accounts_and_reading_state_survive_the_copy(source: Store) -> None:
    now = datetime(2026, 11, 29, 9, tzinfo=UTC)
    alice = source.add_account("alice", "lecteur", "Alice", now=now)
    bob = source.add_account("bob", "editeur", now=now)
    source.set_password("bob", "$argon2id$hash-de-test", now)
    ids = [int(e.id) for e in source.list_entries(Selection(limit=3)).entries]
    source.mark(alice.id, ids[:1], starred=True, now=now)
    assert source.mark(bob.id, ids, read=True, now=now) >= len(ids)  # their stories too
    source.record_visit(alice.id, now)
    with postgres_schema() as url:
        target = Store(url)
        copied = source.copy_to(target)
        assert copied["account"] == 2 and copied["entry_state"] > len(ids)
        assert target.accounts() == source.accounts()
        assert target.credentials("bob") == source.credentials("bob")
        assert target.feed_token(alice.id) == source.feed_token(alice.id)
        for account in (alice, bob):
            selection = Selection(reader=account.reader, limit=20)
            assert target.list_entries(selection) == source.list_entries(selection)
            assert target.unread_counts(account.reader, Selection()) == source.unread_counts(
                account.reader, Selection()
            )
        # The next account gets a fresh id (the sequence moved past the copied ones).
        assert target.add_account("claire", "lecteur", now=now).id == bob.id + 1
        target.close()
