"""The JSON API in-process against a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.api_support import CONFIG, client_for
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def client(module_store: Store) -> Iterator[TestClient]:
    """One app per backend for the module: every test here only reads."""
    with client_for(module_store, NOW) as c:
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
        "tags": ["actualite"],
        "cluster": None,
        "also_in": [],
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
    assert len(titles) == 7 and titles[0] == "Article 0" and titles[-1] == "Article 6"


def test_entries_filters(client: TestClient) -> None:
    r = client.get(
        "/api/v1/entries", params={"since": "2026-11-26", "until": "2026-11-28T00:00:00+00:00"}
    )
    assert [e["title"] for e in r.json()["entries"]] == [
        "L’IA et les tablettes au collège",
        "Article 2",
    ]
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
        ({"tag": "inconnu"}, "thème inconnu"),
        ({"exclude_tag": "inconnu"}, "thème inconnu"),
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


def titles_for(client: TestClient, params: dict) -> list[str]:  # type: ignore[type-arg]
    return [e["title"] for e in client.get("/api/v1/entries", params=params).json()["entries"]]


def test_tag_filters_and_counts(client: TestClient) -> None:
    assert titles_for(client, {"tag": "ia"}) == ["L’IA et les tablettes au collège"]
    both = titles_for(client, {"tag": ["ia", "tablettes"]})
    assert both == ["L’IA et les tablettes au collège", "Article 2"]
    assert len(titles_for(client, {"exclude_tag": "tablettes"})) == 5
    assert titles_for(client, {"tag": "tablettes", "exclude_tag": "ia"}) == ["Article 2"]
    tags = client.get("/api/v1/tags").json()["tags"]
    assert tags == [
        {"id": "ia", "label": "Intelligence artificielle", "entries": 1},
        {"id": "tablettes", "label": "Tablettes", "entries": 2},
        {"id": "actualite", "label": "Actualite", "entries": 7},
    ]


def test_entry_detail_gives_the_reasons(client: TestClient) -> None:
    entry = client.get("/api/v1/entries", params={"tag": "ia"}).json()["entries"][0]
    detail = client.get(f"/api/v1/entries/{entry['id']}").json()
    assert detail["tag_reasons"] == [
        {"tag": "actualite", "field": "source", "term": "actualite"},
        {"tag": "ia", "field": "title", "term": "IA"},
        {"tag": "tablettes", "field": "title", "term": "tablette*"},
    ]
    assert client.get("/api/v1/entries/999999").status_code == 404
    assert client.get("/api/v1/entries/abc").status_code == 400


def test_digests_are_listed(client: TestClient) -> None:
    digests = client.get("/api/v1/digests").json()["digests"]
    assert digests[0]["id"] == "quotidien" and digests[0]["window_seconds"] == 86400


@pytest.mark.parametrize(
    "q, expected",
    [
        ("tablette", ["L’IA et les tablettes au collège", "Article 2"]),
        ("TABLETTES", ["L’IA et les tablettes au collège", "Article 2"]),
        ("l'ia", ["L’IA et les tablettes au collège"]),
        ('"tablettes au collège"', ["L’IA et les tablettes au collège"]),
        ("tablettes -ia", ["Article 2"]),
        ("pret OR ia", ["L’IA et les tablettes au collège", "Article 2"]),
        (
            "résumé",
            [
                "Article 0",
                "L’IA et les tablettes au collège",
                "Article 3",
                "Article 4",
                "Article 5",
                "Article 6",
            ],
        ),
        ("via", []),
    ],
)
def test_search(client: TestClient, q: str, expected: list[str]) -> None:
    assert titles_for(client, {"q": q}) == expected


@pytest.mark.parametrize(
    "q",
    [
        '") OR 1=1--',
        '"',
        "*",
        "NEAR(",
        "l'",
        "AND",
        "OR",
        "-",
        "((",
        "title:x",
        "^x",
        "x" * 600,
        "\x00\x01",
        "🎓",
        "-ia",
        "a OR -b",
        "NOT",
    ],
)
def test_hostile_queries_are_200_or_400(client: TestClient, q: str) -> None:
    r = client.get("/api/v1/entries", params={"q": q})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert r.json()["detail"]


def test_opml_route(client: TestClient) -> None:
    r = client.get("/opml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/x-opml")
    assert b'xmlUrl="https://cafe.example/feed"' in r.content


def test_a_served_app_freezes_its_startup_objects(store: Store) -> None:
    """Once started, the startup objects leave the garbage collector's full scans (which
    made one page view in ~14 take 50–60 ms at a million entries)."""
    import gc

    gc.unfreeze()
    with TestClient(create_app(Settings(), store, CONFIG)) as c:
        assert gc.get_freeze_count() > 10_000
        assert c.get("/healthz").status_code == 200
