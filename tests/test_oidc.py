"""Login through an OpenID Connect provider, end to end on loopback: a real provider
(oidc-provider-mock: Authlib's server side in Flask, discovery, JWKS, signed ID tokens)
on 127.0.0.1, the app in-process, the browser's redirections followed by hand."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.mail_support import BASE, CONFIG, settings
from veille.store import Store
from veille.web import create_app

CLIENT_ID, CLIENT_SECRET = "veille-college", "secret-du-client-veille"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The provider's issuer URL (a thread serving it on 127.0.0.1)."""
    import oidc_provider_mock  # its warnings: pyproject.toml, filterwarnings
    import werkzeug.serving

    app = oidc_provider_mock.app()
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def claims(issuer: str, sub: str, **values: Any) -> None:
    """What the provider says of ``sub`` (its users are set through its API)."""
    request = urllib.request.Request(
        f"{issuer}/users/{quote(sub)}", data=json.dumps(values).encode(), method="PUT",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 204


def client(store: Store, issuer: str, **kw: Any) -> TestClient:
    values = {
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "allow_hosts": urlsplit(issuer).netloc,
    }
    app = create_app(settings(1, **(values | kw)), store, CONFIG)  # the real clock: the
    # provider dates its tokens with it
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def authorize(c: TestClient, sub: str, suite: str = "") -> Any:
    """Start the login, let the provider authorize ``sub``, come back: the last answer."""
    r = c.get("/connexion/oidc", params={"suite": suite} if suite else None)
    assert r.status_code == 303, r.text
    at = r.headers["location"]
    asked = parse_qs(urlsplit(at).query)
    assert asked["client_id"] == [CLIENT_ID] and asked["code_challenge_method"] == ["S256"]
    assert asked["redirect_uri"] == [f"{BASE}/connexion/oidc/retour"]  # VEILLE_BASE_URL
    form = urllib.parse.urlencode({"sub": sub}).encode()
    request = urllib.request.Request(at, data=form, method="POST")
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(request, timeout=10) as answer:
        back = answer.headers["location"]
    assert back.startswith(f"{BASE}/connexion/oidc/retour?")
    return c.get(back.removeprefix(BASE))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kw: Any) -> None:
        return None

    def http_error_302(self, req: Any, fp: Any, code: int, msg: str, headers: Any) -> Any:
        return fp


def test_a_new_person_gets_a_reader_account(store: Store, provider: str) -> None:
    claims(provider, "sub-louis", preferred_username="Louis.B", name="Louis Bernard")
    c = client(store, provider)
    login_page = c.get("/connexion", params={"suite": "/feeds"}).text
    assert 'href="/connexion/oidc?suite=/feeds"' in login_page
    r = authorize(c, "sub-louis", suite="/feeds")
    assert r.status_code == 303 and r.headers["location"] == "/feeds", r.text
    louis = store.account("louis.b")
    assert louis is not None and louis.role == "lecteur"
    assert louis.display_name == "Louis Bernard"
    assert c.get("/feeds").status_code == 200
    assert c.get("/curation/hebdo").status_code == 403  # a reader, not an editor
    # Again: the same account, not a new one.
    assert authorize(client(store, provider), "sub-louis").status_code == 303
    assert [a.name for a in store.accounts()] == ["louis.b"]


def test_an_existing_editor_keeps_its_role_and_email_can_be_the_name(
    store: Store, provider: str
) -> None:
    from datetime import UTC, datetime

    store.add_account("claire@college.example", "editeur", now=datetime.now(UTC))
    claims(provider, "sub-claire", email="Claire@college.example")
    c = client(store, provider, oidc_claim="email")
    r = authorize(c, "sub-claire", suite="/curation/hebdo")
    assert r.status_code == 303 and r.headers["location"] == "/curation/hebdo"
    assert c.get("/curation/hebdo").status_code == 200
    store.disable_account("claire@college.example", datetime.now(UTC))
    r = authorize(client(store, provider, oidc_claim="email"), "sub-claire")
    assert r.status_code == 403 and "désactivé" in r.text


def test_refusals(store: Store, provider: str) -> None:
    claims(provider, "sub-sans-nom", name="Sans identifiant")
    r = authorize(client(store, provider), "sub-sans-nom")
    assert r.status_code == 403 and "preferred_username" in r.text
    assert store.accounts() == []
    # A return without the flow's cookie, or with another state, is refused.
    c = client(store, provider)
    assert c.get("/connexion/oidc/retour?code=x&state=y").status_code == 403
    # The provider unreachable: a French 502 page, not a 500.
    down = client(store, "http://127.0.0.1:9", allow_hosts="127.0.0.1:9")
    r = down.get("/connexion/oidc")
    assert r.status_code == 502 and "injoignable" in r.text
    # A wrong issuer (no discovery document there): said, not a 500.
    wrong = client(store, provider + "/ailleurs", allow_hosts=urlsplit(provider).netloc)
    r = wrong.get("/connexion/oidc")
    assert r.status_code == 502 and "404" in r.text
    # Not configured: the routes say so.
    plain = TestClient(create_app(settings(1), store, CONFIG), follow_redirects=False)
    assert plain.get("/connexion/oidc").status_code == 404
    assert "/connexion/oidc" not in plain.get("/connexion").text
