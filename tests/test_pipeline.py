"""The update pipeline end to end in-process: real loopback server, real fetcher, real parser
processes, real SQLite file."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api_support import CONFIG
from tests.conftest import run_updater
from tests.feedgen import atom, rss
from tests.servers import FeedServer
from veille.ingest.fetch import Fetcher
from veille.ingest.pipeline import Updater, jitter, next_error_fetch
from veille.ingest.policy import FetchPolicy
from veille.ingest.workers import ParserPool
from veille.models import FeedSpec, UpdateResult
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app


class Clock:
    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


def run(
    store: Store, feed_server: FeedServer, pool: ParserPool, clock: Clock, **kw: Any
) -> dict[str, UpdateResult]:
    return run_updater(store, pool, clock, allow=(feed_server.host_port,), **kw)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 28, 8, 0, tzinfo=UTC))


def entry_ids(store: Store) -> dict[str, int]:
    """The entry rows' ids by their key."""
    with store.engine.connect() as conn:
        return {key: id_ for key, id_ in conn.execute(sa.text("SELECT key, id FROM entry"))}


def entry_rows(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT id, changed_at FROM entry"))]


def test_new_then_not_modified(
    store: Store, feed_server: FeedServer, pool: ParserPool, clock: Clock
) -> None:
    feed_server.set("/rss", rss(1, 12), etag='"v1"')
    feed_server.set("/atom", atom(2, 5), content_type="application/atom+xml")
    store.sync_feeds(
        [FeedSpec("r", feed_server.url("/rss")), FeedSpec("a", feed_server.url("/atom"))]
    )
    results = run(store, feed_server, pool, clock)
    assert (results["r"].status, results["r"].new) == ("ok", 12)
    assert (results["a"].status, results["a"].new) == ("ok", 5)
    before = entry_rows(store)

    clock.value += timedelta(hours=1)
    feed_server.clear_requests()
    results = run(store, feed_server, pool, clock)
    assert results["r"].status == "not_modified" and results["a"].status == "not_modified"
    (request,) = feed_server.requests_for("/rss")
    assert request.headers["If-None-Match"] == '"v1"'
    assert entry_rows(store) == before  # a 304 writes no entry
    state = {s.id: s for s in store.feed_states()}["r"]
    assert state.status == "ok" and state.last_fetched_at == clock.value
    assert state.next_fetch_at == clock.value + timedelta(minutes=30) + jitter(
        "r", timedelta(minutes=30)
    )


def test_changed_feed_adds_only_the_new_items(
    store: Store, feed_server: FeedServer, pool: ParserPool, clock: Clock
) -> None:
    feed_server.set("/rss", rss(1, 10, start=datetime(2026, 11, 27, tzinfo=UTC)), etag='"v1"')
    store.sync_feeds([FeedSpec("r", feed_server.url("/rss"))])
    run(store, feed_server, pool, clock)
    known = entry_ids(store)
    assert len(known) == 10
    # Twelve items: the ten already known (same guids, dated two hours later: rewritten, not
    # added) and two new ones. Re-inserting every item, or deleting the known ones and
    # inserting them again, would give other rows: the delta is what is checked.
    feed_server.set("/rss", rss(1, 12, start=datetime(2026, 11, 27, 2, tzinfo=UTC)), etag='"v2"')
    results = run(store, feed_server, pool, clock)
    assert results["r"].status == "ok" and results["r"].new == 2
    after = entry_ids(store)
    added = after.keys() - known.keys()
    assert len(added) == 2 and len(after) == 12  # two new rows, no other
    assert {key: after[key] for key in known} == known  # the ten kept their rows
    assert not set(known.values()) & {after[key] for key in added}


def test_one_broken_feed_never_stops_the_others(
    store: Store, feed_server: FeedServer, pool: ParserPool, clock: Clock
) -> None:
    feed_server.set("/good", rss(3, 4))
    feed_server.set("/garbage", b"\x00\x01 ceci n'est pas un flux", content_type="text/plain")
    feed_server.error("/down", 500)
    feed_server.set("/html", b"<html><body>Bienvenue</body></html>", content_type="text/html")
    store.sync_feeds(
        [FeedSpec(i, feed_server.url(f"/{i}")) for i in ("good", "garbage", "down", "html")]
    )
    results = run(store, feed_server, pool, clock)
    assert results["good"].status == "ok" and results["good"].new == 4
    states = {s.id: s for s in store.feed_states()}
    for broken in ("garbage", "down", "html"):
        assert results[broken].status == "error"
        assert states[broken].status == "error"
        assert states[broken].last_error  # readable French message
    assert "500" in (states["down"].last_error or "")


def test_a_refused_private_address_stays_out_of_the_public_views(
    store: Store,
    feed_server: FeedServer,
    pool: ParserPool,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The sources page and the API tell that a private address was refused, naming the
    configured host; the address it resolved to (internal DNS) is only in the log."""
    feed_server.set("/rss", rss(1, 2))
    store.sync_feeds([FeedSpec("interne", f"http://localhost:{feed_server.port}/rss")])
    with caplog.at_level(logging.WARNING, logger="veille.ingest.policy"):
        results = run_updater(store, pool, clock)  # nothing allowed
    assert results["interne"].status == "error" and feed_server.requests == []
    assert "localhost resolves to 127.0.0.1" in caplog.text  # the detail, for the admin
    with TestClient(create_app(Settings(), store, CONFIG)) as client:
        page = client.get("/feeds").text
        api = client.get("/api/v1/feeds").json()
    [feed] = api["feeds"]
    assert feed["last_error"] == "adresse privée refusée : localhost"
    assert "adresse privée refusée : localhost" in page
    assert "127.0.0.1" not in page + json.dumps(api)


def test_html_page_leads_to_its_feed(
    store: Store, feed_server: FeedServer, pool: ParserPool, clock: Clock
) -> None:
    feed_server.set("/feed.xml", rss(4, 3))
    feed_server.html_page("/blog", "/feed.xml")
    store.sync_feeds([FeedSpec("blog", feed_server.url("/blog"))])
    assert run(store, feed_server, pool, clock)["blog"].new == 3
    assert store.targets(["blog"])[0].url == feed_server.url("/feed.xml")


def test_permanent_redirect_updates_the_url_temporary_does_not(
    store: Store, feed_server: FeedServer, pool: ParserPool, clock: Clock
) -> None:
    feed_server.set("/new", rss(5, 2))
    feed_server.redirect("/moved", "/new", 301)
    feed_server.redirect("/tmp", "/new", 302)
    store.sync_feeds(
        [FeedSpec("moved", feed_server.url("/moved")), FeedSpec("tmp", feed_server.url("/tmp"))]
    )
    run(store, feed_server, pool, clock)
    urls = {t.id: t.url for t in store.targets()}
    assert urls == {"moved": feed_server.url("/new"), "tmp": feed_server.url("/tmp")}


def test_gone_disables_and_retry_after_is_honoured(
    store: Store, feed_server: FeedServer, pool: ParserPool, clock: Clock
) -> None:
    feed_server.error("/gone", 410)
    feed_server.error("/busy", 503, retry_after="7200")
    feed_server.error("/broken", 500)
    store.sync_feeds([FeedSpec(i, feed_server.url(f"/{i}")) for i in ("gone", "busy", "broken")])
    results = run(store, feed_server, pool, clock)
    assert results["gone"].status == "disabled"
    states = {s.id: s for s in store.feed_states()}
    assert states["gone"].status == "disabled"
    assert states["busy"].next_fetch_at == clock.value + timedelta(hours=2)
    assert states["broken"].next_fetch_at == clock.value + timedelta(minutes=30)

    # One hour later only "broken" is due: the others are not refetched early.
    clock.value += timedelta(hours=1)
    feed_server.clear_requests()
    results = run(store, feed_server, pool, clock, due_only=True)
    assert set(results) == {"broken"}
    assert [r.path for r in feed_server.requests] == ["/broken"]
    # Consecutive errors double the delay.
    assert {s.id: s for s in store.feed_states()}[
        "broken"
    ].next_fetch_at == clock.value + timedelta(hours=1)


@pytest.mark.parametrize(
    "errors, retry_after, expected",
    [
        (0, None, timedelta(minutes=30)),
        (1, None, timedelta(hours=1)),
        (3, None, timedelta(hours=4)),
        (10, None, timedelta(hours=24)),
        (40, None, timedelta(hours=24)),
        (0, timedelta(hours=3), timedelta(hours=3)),
        (0, timedelta(days=9), timedelta(hours=24)),
        (4, timedelta(minutes=1), timedelta(hours=8)),
    ],
)
def test_backoff(errors: int, retry_after: timedelta | None, expected: timedelta) -> None:
    from veille.models import FeedTarget, Validators

    now = datetime(2026, 1, 1, tzinfo=UTC)
    target = FeedTarget("f", "https://x.example/", Validators(), timedelta(minutes=30), errors)
    assert next_error_fetch(now, target, retry_after) - now == expected


def test_jitter_is_stable_and_bounded() -> None:
    every = timedelta(minutes=30)
    values = {jitter(f"feed-{i}", every) for i in range(50)}
    assert all(timedelta(0) <= v < every * 0.1 for v in values)
    assert len(values) > 40  # feeds are spread out
    assert jitter("feed-1", every) == jitter("feed-1", every)


def test_tags_and_index_computed_in_workers_match_the_store_side(
    store: Store, feed_server: FeedServer, pool: ParserPool, clock: Clock
) -> None:
    from veille.models import Config, Selection, TagRule
    from veille.rules.ruleset import RuleSet

    config = Config(
        path="feeds.yaml",
        feeds=(FeedSpec("r", feed_server.url("/rss"), tags=("actualite",)),),
        tags=(
            TagRule("evaluation", "Évaluation", match=("évaluation",)),
            TagRule("ent", "ENT", match=("ENT",)),
            TagRule("ia", "IA", match=("IA",)),
        ),
    )
    feed_server.set("/rss", rss(1, 24))
    store.sync_feeds(config.feeds)

    async def go() -> None:
        policy = FetchPolicy(timeout=5, allowed_hosts=frozenset({feed_server.host_port}))
        async with Fetcher(policy, now=clock) as fetcher:
            updater = Updater(store=store, fetcher=fetcher, parser=pool, now=clock)
            try:
                await updater.apply_config(config)
                await updater.update()
            finally:
                updater.close()

    asyncio.run(go())
    rules = RuleSet.from_config(config)
    seen, changed = store.retag(rules.tag_fields, rules.fingerprint)
    assert (seen, changed) == (24, 0)  # the workers' tags are exactly the store-side ones
    counts = store.tag_counts()
    assert counts["actualite"] == 24 and counts.get("evaluation") and counts.get("ent")
    found = store.list_entries(Selection(query="évaluations", limit=50)).entries
    assert found and all("valuation" in e.title.lower() or e.content_html for e in found)
