"""``VEILLE_PRIVATE=true``: pages, output feeds and API reads need an account (feeds: its
personal token too); /healthz, /metrics, the login and unsubscribe links stay open. A site
that is not private is unchanged."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from tests.mail_support import ADMIN, CONFIG, log_in, populate, settings
from veille.passwords import hash_password
from veille.store import Store
from veille.web import create_app
from veille.web.private import personal_feed_url

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
PASSWORD = "un mot de passe solide"
PAGES = ["/", "/digests/hebdo", "/feeds", "/abonnement", "/digests/hebdo/archive", "/docs"]
FEEDS = ["/digests/hebdo.rss", "/digests/hebdo.atom", "/digests/hebdo.json", "/feed.rss",
         "/tags/ia.atom", "/opml", "/digests/hebdo/widget"]  # fmt: skip
API = ["/api/v1/entries", "/api/v1/feeds", "/api/v1/tags", "/api/v1/digests", "/openapi.json"]


def client(store: Store, **kw: Any) -> TestClient:
    app = create_app(settings(1, **kw), store, CONFIG, clock=lambda: NOW)
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


@pytest.fixture
def filled(store: Store) -> Store:
    populate(store, NOW)
    store.add_account("louis", "lecteur", now=NOW)
    store.set_password("louis", hash_password(PASSWORD), NOW)
    return store


def test_a_private_site_asks_for_an_account(filled: Store) -> None:
    c = client(filled, private=True)
    for path in PAGES:
        r = c.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"] == f"/connexion?suite={path}", path
    for path in FEEDS:
        r = c.get(path)
        assert r.status_code == 401 and "jeton" in r.json()["detail"], path
    for path in API:
        r = c.get(path)
        assert r.status_code == 401 and "site privé" in r.json()["detail"], path
    # Open: the login, health, metrics, unsubscribe links (a bad one is a 400, not a login).
    assert c.get("/connexion").status_code == 200
    assert c.get("/healthz").status_code == 200 and c.get("/metrics").status_code == 200
    assert c.get("/desabonnement/faux").status_code == 400
    # The admin token reads the API, as scripts do.
    auth = {"Authorization": f"Bearer {ADMIN}"}
    assert c.get("/api/v1/entries", headers=auth).status_code == 200
    assert c.get("/api/v1/entries", headers={"Authorization": "Bearer faux"}).status_code == 401
    # Logged in, everything opens.
    assert log_in(c, PASSWORD, "louis", suite="/feeds").headers["location"] == "/feeds"
    for path in PAGES + FEEDS + API:
        assert c.get(path).status_code == 200, path


def test_feed_readers_use_the_personal_token(filled: Store) -> None:
    c = client(filled, private=True)
    louis = filled.account("louis")
    assert louis is not None
    token = filled.feed_token(louis.id)
    for path in FEEDS:
        r = c.get(path, params={"jeton": token})
        assert r.status_code == 200, path
        assert c.get(path, params={"jeton": "x" * 32}).status_code == 401, path
    assert c.get("/", params={"jeton": token}).status_code == 303  # pages want a session
    filled.disable_account("louis", NOW)
    assert c.get("/digests/hebdo.rss", params={"jeton": token}).status_code == 401


def test_a_public_site_is_unchanged(filled: Store) -> None:
    c = client(filled)
    for path in PAGES + FEEDS + API:
        assert c.get(path).status_code == 200, path


def test_personal_feed_urls(filled: Store) -> None:
    app = create_app(settings(1, private=True), filled, CONFIG, clock=lambda: NOW)
    seen: list[str] = []

    @app.get("/essai-flux")
    def probe(request: Request) -> str:
        seen.append(personal_feed_url(request, "/feed.rss?tag=ia"))
        return "ok"

    c = TestClient(app, base_url="https://testserver", follow_redirects=False)
    log_in(c, PASSWORD, "louis")
    assert c.get("/essai-flux").status_code == 200
    louis = filled.account("louis")
    assert louis is not None
    assert seen == [f"/feed.rss?tag=ia&jeton={filled.feed_token(louis.id)}"]


def test_subscribe_links_carry_the_readers_token(filled: Store) -> None:
    """In a private site, the feeds a page offers are the reader's own (with its token):
    a feed reader given them can read them; a public site's links stay bare."""
    app = create_app(settings(1, private=True), filled, CONFIG, clock=lambda: NOW)
    c = TestClient(app, base_url="https://testserver", follow_redirects=False)
    log_in(c, PASSWORD, "louis")
    louis = filled.account("louis")
    assert louis is not None
    token = filled.feed_token(louis.id)
    for path in ("/", "/abonnement"):
        page = c.get(path).text
        hrefs = re.findall(r'href="([^"]*\.(?:rss|atom|json)[^"]*)"', page)
        assert hrefs, path
        assert all(f"jeton={token}" in h for h in hrefs), (path, hrefs)
        feed = html.unescape(hrefs[0])
        anonymous = TestClient(app, base_url="https://testserver", follow_redirects=False)
        assert anonymous.get(feed).status_code == 200, feed  # the link works without a session
    public = client(filled).get("/abonnement").text
    assert "jeton=" not in public
