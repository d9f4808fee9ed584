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
from veille.models import Config, FeedSpec, ParsedEntry, TagRule, Validators
from veille.rules.clustering import ClusterItem, assign_clusters
from veille.rules.tagging import RuleSet
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
