"""Curation sessions end for real: logout revokes the session in the store (a copied cookie
stops working, on every replica), a new password ends every session; a rotated secret key
keeps the links already sent valid through VEILLE_OLD_SECRET_KEYS. On SQLite and PostgreSQL
(conftest's ``store``): the revocations are rows of the store."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.mail_support import ADMIN, CONFIG, SECRET, settings
from veille.signing import Signer
from veille.store import Store
from veille.web import create_app


def client(store: Store, **kw: str) -> TestClient:
    return TestClient(create_app(settings(1, **kw), store, CONFIG), base_url="https://testserver")


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def log_in(c: TestClient, password: str = ADMIN) -> tuple[str, str]:
    """Log in; returns the session cookie and the session's CSRF token."""
    token = _csrf(c.get("/curation/connexion").text)
    r = c.post("/curation/connexion", data={"csrf": token, "password": password})
    assert r.status_code == 200 and "Curation" in r.text, r.text[:300]
    cookie = c.cookies.get("veille_session")
    assert cookie
    return cookie, _csrf(c.get("/curation/hebdo").text)


def opens(c: TestClient, cookie: str) -> bool:
    """Whether ``cookie`` (copied, sent by hand) opens a curation page."""
    c.cookies.clear()
    headers = {"cookie": f"veille_session={cookie}"}
    return c.get("/curation/hebdo", headers=headers, follow_redirects=False).status_code == 200


def test_a_copied_cookie_stops_working_at_logout(store: Store) -> None:
    c = client(store)
    cookie, csrf = log_in(c)
    other_replica = client(store)
    assert opens(c, cookie) and opens(other_replica, cookie)
    headers = {"cookie": f"veille_session={cookie}"}
    r = c.post(
        "/curation/deconnexion", data={"csrf": csrf}, headers=headers, follow_redirects=False
    )
    assert r.status_code == 303
    assert not opens(c, cookie)
    assert not opens(other_replica, cookie)  # the revocation is in the store
    r = c.post(
        "/curation/hebdo",
        data={"action": "hide", "entry": "1", "csrf": csrf},
        headers=headers,
    )
    assert r.status_code == 401
    cookie2, _ = log_in(c)  # a new login works
    assert opens(c, cookie2)


def test_a_new_password_ends_every_session(store: Store) -> None:
    cookie, _ = log_in(client(store))
    changed = client(store, admin_token="un-tout-nouveau-jeton-admin")
    assert not opens(changed, cookie)
    assert opens(client(store), cookie)  # the old password back: the session is valid again


def test_old_secret_keys_keep_sent_links_valid(store: Store) -> None:
    old = "une-ancienne-cle-secrete-de-test"
    token = Signer(old, "unsubscribe").sign(["hebdo", "ana@college.example"])
    rotated = client(store, secret_key=SECRET + "-nouvelle", old_secret_keys=old)
    assert rotated.get(f"/desabonnement/{token}").status_code == 200
    assert (
        client(store, secret_key=SECRET + "-nouvelle").get(f"/desabonnement/{token}").status_code
        == 400
    )  # without the old key: refused
    forged = Signer("une-cle-inconnue-de-tout-le-monde", "unsubscribe").sign(["hebdo", "x@y.z"])
    assert rotated.get(f"/desabonnement/{forged}").status_code == 400
