"""The JSON API in-process against a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from veille.models import FeedSpec, ParsedEntry, Validators
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app


@pytest.fixture
def client(store: Store, now: datetime) -> Iterator[TestClient]:
    store.sync_feeds(
        [
            FeedSpec("cafe", "https://cafe.example/feed", title="Le Café"),
            FeedSpec("ludo", "https://ludo.example/feed"),
        ]
    )
    entries = [
        ParsedEntry(
            key=f"g{i}",
            guid=f"g{i}",
            url=f"https://cafe.example/{i}",
            title=f"Article {i}",
            summary_html=f"<p>Résumé {i}</p>",
            published=datetime(2026, 11, 28, 12, tzinfo=UTC) - timedelta(days=i),
        )
        for i in range(7)
    ]
    store.save_entries("cafe", entries, now=now)
    store.record_success(
        "cafe", now=now, next_fetch_at=now + timedelta(minutes=30), validators=Validators()
    )
    store.record_error(
        "ludo", now=now, message="réponse HTTP 503", next_fetch_at=now + timedelta(hours=1)
    )
    with TestClient(create_app(Settings(), store)) as c:
        yield c


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_feeds_shape(client: TestClient) -> None:
    feeds = {f["id"]: f for f in client.get("/api/v1/feeds").json()["feeds"]}
    assert set(feeds) == {"cafe", "ludo"}
    cafe = feeds["cafe"]
    for key in (
        "id",
        "url",
        "title",
        "status",
        "last_error",
        "entries",
        "last_fetched_at",
        "next_fetch_at",
    ):
        assert key in cafe
    assert cafe["status"] == "ok" and cafe["entries"] == 7 and cafe["title"] == "Le Café"
    assert cafe["last_fetched_at"] == "2026-11-29T08:00:00+00:00"
    assert feeds["ludo"]["status"] == "error" and feeds["ludo"]["last_error"] == "réponse HTTP 503"


def test_entries_shape_and_pagination(client: TestClient) -> None:
    r = client.get("/api/v1/entries", params={"limit": 3})
    body = r.json()
    assert r.status_code == 200
    first = body["entries"][0]
    assert first == {
        "id": first["id"],
        "feed": "cafe",
        "feed_title": "Le Café",
        "title": "Article 0",
        "url": "https://cafe.example/0",
        "published": "2026-11-28T12:00:00+00:00",
        "author": None,
        "summary": "<p>Résumé 0</p>",
        "content_html": "",
        "tags": [],
    }
    assert isinstance(first["id"], str)
    titles = [e["title"] for e in body["entries"]]
    for _ in range(5):
        if not body["next_cursor"]:
            break
        body = client.get(
            "/api/v1/entries", params={"limit": 3, "cursor": body["next_cursor"]}
        ).json()
        titles += [e["title"] for e in body["entries"]]
    assert titles == [f"Article {i}" for i in range(7)]


def test_entries_filters(client: TestClient) -> None:
    r = client.get(
        "/api/v1/entries", params={"since": "2026-11-26", "until": "2026-11-28T00:00:00+00:00"}
    )
    assert [e["title"] for e in r.json()["entries"]] == ["Article 1", "Article 2"]
    assert client.get("/api/v1/entries", params={"feed": "ludo"}).json()["entries"] == []


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "beaucoup"}, "limit"),
        ({"since": "hier"}, "since"),
        ({"until": "2026-13-45"}, "until"),
        ({"since": "2026-11-28", "until": "2026-11-27"}, "since"),
        ({"feed": "inconnue"}, "inconnue"),
        ({"cursor": "n'importe quoi"}, "curseur"),
    ],
)
def test_bad_parameters_are_400_with_a_message(
    client: TestClient, params: dict, fragment: str
) -> None:
    r = client.get("/api/v1/entries", params=params)
    assert r.status_code == 400
    assert fragment in r.json()["detail"]


def test_unknown_route_is_404_json(client: TestClient) -> None:
    r = client.get("/api/v1/nothing")
    assert r.status_code == 404 and r.json() == {"detail": "ressource introuvable"}
