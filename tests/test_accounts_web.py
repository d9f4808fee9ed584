"""The site's login with accounts (``/connexion``): roles, sessions that end at once (a
disabled account, a new password), the admin token only until an editor account exists,
guessing slowed per client and per account name, CSRF, where one goes afterwards. On
SQLite and PostgreSQL; the app in-process, argon2id hashes at the tests' low cost
(conftest.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from tests.mail_support import ADMIN, CONFIG, log_in, settings
from veille.passwords import hash_password
from veille.store import Store
from veille.web import create_app
from veille.web.accounts import current_account, require_account

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
PASSWORD = "un mot de passe solide"


def app_for(store: Store, **kw: Any) -> FastAPI:
    app = create_app(settings(1, **kw), store, CONFIG, clock=lambda: NOW)

    @app.get("/essai-compte")  # what the reading pages do with the interface
    def probe(request: Request) -> Response:
        if (refused := require_account(request)) is not None:
            return refused
        found = current_account(request)
        return Response(f"{found[0].name}:{found[0].role}:{found[1]['csrf']}" if found else "jeton")

    return app


def client(store: Store | FastAPI, address: str = "10.0.0.1") -> TestClient:
    """A browser at ``address``, on a new app over ``store`` or on an app already there."""
    app = app_for(store) if isinstance(store, Store) else store
    return TestClient(app, base_url="https://testserver", client=(address, 5000))


def who(c: TestClient) -> str:
    """``name:role`` of the probe's session (``jeton``: an admin-token session)."""
    return c.get("/essai-compte").text.rsplit(":", 1)[0]


def account(store: Store, name: str, role: str, display: str = "") -> int:
    created = store.add_account(name, role, display, now=NOW)  # type: ignore[arg-type]
    store.set_password(name, hash_password(PASSWORD), NOW)
    return created.id


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:300]
    return found[1]


def test_an_editor_logs_in_and_curates_under_its_name(store: Store) -> None:
    account(store, "claire", "editeur", "Claire D.")
    c = client(store)
    r = c.get("/curation/hebdo?tag=ia", follow_redirects=False)
    assert (
        r.status_code == 303
        and r.headers["location"] == "/connexion?suite=/curation/hebdo%3Ftag%3Dia"
    )
    r = log_in(c, PASSWORD, "Claire", suite="/curation/hebdo")
    assert r.status_code == 303 and r.headers["location"] == "/curation/hebdo"
    cookie = r.headers["set-cookie"]
    assert "veille_session=" in cookie and "Path=/;" in cookie and "HttpOnly" in cookie
    assert "Secure" in cookie and "samesite=lax" in cookie.lower()
    page = c.get("/curation/hebdo")
    assert page.status_code == 200 and "Claire D." in page.text
    assert who(c) == "claire:editeur"


def test_a_reader_cannot_curate(store: Store) -> None:
    account(store, "louis", "lecteur")
    c = client(store)
    r = log_in(c, PASSWORD, "louis")
    assert r.status_code == 303 and r.headers["location"] == "/"  # a reader goes to the site
    assert who(c) == "louis:lecteur"
    page = c.get("/curation/hebdo")
    assert page.status_code == 403 and "Accès réservé aux éditeurs" in page.text
    assert "éditeur" in page.text and "<html" in page.text
    assert c.get("/curation").status_code == 403
    csrf = csrf_of(c.get("/connexion").text)  # any form token: the role is refused first
    r = c.post("/curation/hebdo", data={"csrf": csrf, "action": "hide", "entry": "1"})
    assert r.status_code == 403 and "Accès réservé aux éditeurs" in r.text
    assert store.hidden_entries("hebdo") == frozenset()


def test_a_disabled_account_or_a_new_password_ends_its_sessions_at_once(store: Store) -> None:
    account(store, "claire", "editeur")
    c, other = client(store), client(store, "10.0.0.2")
    assert log_in(c, PASSWORD, "claire").status_code == 303
    assert log_in(other, PASSWORD, "claire").status_code == 303
    assert c.get("/curation/hebdo").status_code == 200
    store.disable_account("claire", NOW)
    r = c.get("/curation/hebdo", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/connexion")
    refused = log_in(c, PASSWORD, "claire")  # the right password: told it is disabled
    assert refused.status_code == 403 and "désactivé" in refused.text
    store.enable_account("claire", NOW)
    assert other.get("/curation/hebdo", follow_redirects=False).status_code == 303  # still over
    assert log_in(other, PASSWORD, "claire").status_code == 303
    store.set_password("claire", hash_password("un tout autre mot de passe"), NOW)
    assert other.get("/curation/hebdo", follow_redirects=False).status_code == 303
    assert log_in(other, PASSWORD, "claire").status_code == 401


def test_the_admin_token_opens_curation_until_an_editor_account_exists(store: Store) -> None:
    c = client(store)
    form = c.get("/connexion").text
    assert "VEILLE_ADMIN_TOKEN" in form  # the login page says what the token still does
    r = log_in(c, ADMIN, "Équipe du lundi")
    assert r.status_code == 303 and r.headers["location"] == "/curation"
    assert c.get("/curation/hebdo").status_code == 200
    assert who(c) == "jeton"  # a session without an account
    account(store, "louis", "lecteur")  # a reader changes nothing
    assert c.get("/curation/hebdo").status_code == 200
    account(store, "claire", "editeur")
    assert c.get("/curation/hebdo", follow_redirects=False).status_code == 303  # ended
    assert "VEILLE_ADMIN_TOKEN" not in c.get("/connexion").text
    assert log_in(client(store, "10.0.0.9"), ADMIN).status_code == 401


def test_logout_needs_its_token_and_ends_the_session(store: Store) -> None:
    account(store, "louis", "lecteur")
    c = client(store)
    log_in(c, PASSWORD, "louis")
    cookie = c.cookies["veille_session"]
    assert c.post("/deconnexion", data={"csrf": "faux"}).status_code == 403
    assert who(c) == "louis:lecteur"
    csrf = c.get("/essai-compte").text.rsplit(":", 1)[1]
    r = c.post("/deconnexion", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/connexion"
    c.cookies.clear()
    copied = c.get("/essai-compte", headers={"cookie": f"veille_session={cookie}"},
                   follow_redirects=False)  # fmt: skip
    assert copied.status_code == 303  # revoked in the store


@pytest.mark.parametrize(
    "suite", ["//evil.example/", "https://evil.example/", "/\\evil.example", "curation", "/a\nb"]
)
def test_only_paths_of_this_site_come_after_login(store: Store, suite: str) -> None:
    account(store, "louis", "lecteur")
    r = log_in(client(store), PASSWORD, "louis", suite=suite)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_guessing_is_slowed_per_client_and_per_account_name(store: Store) -> None:
    account(store, "claire", "editeur")
    account(store, "louis", "lecteur")
    app = app_for(store)
    for i in range(4):  # from four addresses: no address reaches its own limit
        r = log_in(client(app, f"10.0.1.{i}"), "mauvais mot de passe", "claire")
        assert r.status_code == 401 and "Nom ou mot de passe incorrect" in r.text
    # The account name now waits, from any address, even with the right password …
    r = log_in(client(app, "10.0.2.1"), PASSWORD, "claire")
    assert r.status_code == 429 and "Retry-After" in r.headers and "essais" in r.text
    # … while another account logs in from that address.
    assert log_in(client(app, "10.0.2.1"), PASSWORD, "louis").status_code == 303
    # And one address guessing many names waits too.
    for name in ("a1", "a2", "a3", "a4"):
        assert log_in(client(app, "10.0.3.1"), "x" * 12, name).status_code == 401
    assert log_in(client(app, "10.0.3.1"), PASSWORD, "louis").status_code == 429
