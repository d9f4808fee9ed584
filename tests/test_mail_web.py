"""Web side of the e-mailed digests, in-process against real SQLite and a real SMTP
server: unsubscribe (page + RFC 8058 one-click), archive pages, curation API and pages."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from veille.mailing.delivery import send_issue
from veille.render.html import CSP
from veille.signing import Signer
from veille.store import Store
from veille.web import create_app

from .mail_support import ADMIN, CONFIG, NOW, RECIPIENTS, SECRET, Clock, MailServer
from .mail_support import settings as mail_settings

ANA, BEN = RECIPIENTS[:2]
AUTH = {"Authorization": f"Bearer {ADMIN}"}


def client_for(store: Store, port: int = 1, **kw: str) -> TestClient:
    app = create_app(mail_settings(port, **kw), store, CONFIG)
    app.state.clock = Clock()
    return TestClient(app, base_url="https://testserver")


def unsubscribe_link(msg: object) -> str:
    header = msg["List-Unsubscribe"]  # type: ignore[index]
    return re.findall(r"<(https://[^>]+)>", header)[0].removeprefix("https://veille.example.org")


# --- unsubscribe ----------------------------------------------------------------------------


def test_unsubscribe_page_then_one_click(
    store: Store, mail_ids: dict[str, str], smtp: MailServer
) -> None:
    send_issue(store, mail_settings(smtp.port), CONFIG, "hebdo", Clock())
    link = unsubscribe_link(smtp.to(BEN)[0])
    with client_for(store) as client:
        r = client.get(link)
        assert r.status_code == 200 and r.headers["content-security-policy"] == CSP
        assert BEN in r.text and '<form method="post"' in r.text and 'lang="fr"' in r.text
        assert store.unsubscribed("hebdo") == frozenset()  # a GET changes nothing
    # One-click (RFC 8058): a bare POST from the mail provider, no cookie, no CSRF token.
    with client_for(store) as client:
        r = client.post(
            link,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 200 and not client.cookies
        assert store.unsubscribed("hebdo") == frozenset({BEN})
        r = client.post(link)  # the page's button: idempotent, a French page
        assert r.status_code == 200 and "ne recevra plus" in r.text

    clock = Clock(NOW + timedelta(days=7))
    report = send_issue(store, mail_settings(smtp.port), CONFIG, "hebdo", clock)
    assert (report.number, report.sent) == (2, 3)
    assert [smtp.count(r) for r in RECIPIENTS] == [2, 1, 2, 2]


def test_tampered_tokens_are_refused(store: Store, mail_ids: dict[str, str]) -> None:
    good = Signer(SECRET, "unsubscribe").sign(["hebdo", BEN])
    payload, mac = good.split(".")
    forged = Signer(SECRET, "unsubscribe").sign(["hebdo", ANA]).split(".")[0] + "." + mac
    other_purpose = Signer(SECRET, "session").sign(["hebdo", BEN])
    other_key = Signer("une-autre-clé-tout-aussi-longue", "unsubscribe").sign(["hebdo", BEN])
    with client_for(store) as client:
        for token in (forged, other_purpose, other_key, payload, good[:-2], "x.y.z"):
            assert client.get(f"/desabonnement/{token}").status_code == 400
            assert client.post(f"/desabonnement/{token}").status_code == 400
        assert client.get(f"/desabonnement/{good}").status_code == 200
    assert store.unsubscribed("hebdo") == frozenset()
    with client_for(store, secret_key="") as client:
        r = client.get(f"/desabonnement/{good}")
        assert r.status_code == 503 and "VEILLE_SECRET_KEY" in r.text


# --- archive --------------------------------------------------------------------------------


class _Tokens(HTMLParser):
    """Tags, attributes (but ``style``) and text of a document: equal for equal content,
    whatever the serialisation (css-inline re-serialises the e-mail)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[tuple[str, ...]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kept = sorted(f"{k}={v}" for k, v in attrs if k != "style")
        self.tokens.append(("start", tag, *kept))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", tag))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.tokens.append(("text", " ".join(data.split())))


def _numero(html: str) -> list[tuple[str, ...]]:
    """The issue's content block (``#numero``), as tokens."""
    tokens = _Tokens(html).tokens
    start = next(i for i, t in enumerate(tokens) if t[0] == "start" and "id=numero" in t)
    depth = 0
    for end, t in enumerate(tokens[start:], start):
        depth += {"start": 1, "end": -1}.get(t[0], 0) if t[1:2] == ("div",) else 0
        if depth == 0:
            return tokens[start : end + 1]
    raise AssertionError("unclosed #numero")


def test_archive_equals_the_email(store: Store, mail_ids: dict[str, str], smtp: MailServer) -> None:
    store.set_highlight("hebdo", mail_ids["c2"], "À lire avant le conseil pédagogique", NOW)
    store.set_introduction("hebdo", 1, "Bonne semaine à toutes et à tous.", NOW)
    send_issue(store, mail_settings(smtp.port), CONFIG, "hebdo", Clock())
    email_html = smtp.to(ANA)[0].get_body(("html",)).get_content()  # type: ignore[union-attr]
    with client_for(store) as client:
        r = client.get("/digests/hebdo/archive/1")
        assert r.status_code == 200 and r.headers["content-security-policy"] == CSP
        assert _numero(r.text) == _numero(email_html) and len(_numero(email_html)) > 50
        assert "À lire avant le conseil pédagogique" in r.text
        assert 'href="/mail/email.css"' in r.text and 'style="' not in r.text
        assert "30 nov. 2026" in r.text and "/desabonnement/" not in r.text
        css = client.get("/mail/email.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        listing = client.get("/digests/hebdo/archive")
        assert listing.status_code == 200
        assert 'href="/digests/hebdo/archive/1"' in listing.text and "n° 1" in listing.text
        assert client.get("/digests/hebdo/archive/2").status_code == 404
        assert client.get("/digests/hebdo/archive/x").status_code == 404
        assert client.get("/digests/inconnue/archive").status_code == 404


# --- curation API ---------------------------------------------------------------------------


def test_curation_api_needs_the_admin_token(store: Store, mail_ids: dict[str, str]) -> None:
    url = f"/api/v1/digests/hebdo/highlights/{mail_ids['c1']}"
    with client_for(store) as client:
        r = client.put(url, json={"note": "x"})
        assert r.status_code == 401 and r.json()["detail"].startswith("authentification")
        assert r.headers["www-authenticate"] == "Bearer"
        r = client.put(url, json={"note": "x"}, headers={"Authorization": "Bearer faux"})
        assert r.status_code == 403 and "detail" in r.json()
        assert client.get("/api/v1/digests/hebdo/curation").status_code == 401
    with client_for(store, admin_token="") as client:
        assert client.put(url, json={"note": "x"}, headers=AUTH).status_code == 403
    assert store.highlights("hebdo") == []


def test_curation_api_round_trip(store: Store, mail_ids: dict[str, str], smtp: MailServer) -> None:
    base = "/api/v1/digests/hebdo"
    with client_for(store) as client:
        r = client.put(
            f"{base}/highlights/{mail_ids['l1']}", json={"note": "Un\nbon comparatif"}, headers=AUTH
        )
        assert r.status_code == 200 and r.json() == {
            "entry": mail_ids["l1"],
            "note": "Un bon comparatif",
        }
        assert client.put(f"{base}/highlights/999", json={}, headers=AUTH).status_code == 404
        assert client.put(f"{base}/hidden/{mail_ids['c4']}", headers=AUTH).status_code == 204
        r = client.put(f"{base}/introduction", json={"text": "Bonjour !"}, headers=AUTH)
        assert r.json() == {"issue": 1, "text": "Bonjour !"}
        assert client.put("/api/v1/digests/inconnue/hidden/1", headers=AUTH).status_code == 404
        state = client.get(f"{base}/curation", headers=AUTH).json()
        assert state["next_issue"] == 1 and state["hidden"] == [mail_ids["c4"]]
        assert state["highlights"] == [{"entry": mail_ids["l1"], "note": "Un bon comparatif"}]
    send_issue(store, mail_settings(smtp.port), CONFIG, "hebdo", Clock())
    html = smtp.to(ANA)[0].get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert html.index("Bonjour !") < html.index("Kahoot ou Quizinière") < html.index("Plickers")
    assert "Un bon comparatif" in html and "compétences : retours" not in html


# --- curation pages -------------------------------------------------------------------------


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_curation_pages_login_session_and_csrf(store: Store, mail_ids: dict[str, str]) -> None:
    with client_for(store) as client:
        r = client.get("/curation", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/connexion?suite=/curation"
        login = client.get("/curation/connexion")  # the former address leads there
        assert str(login.url).endswith("/connexion?suite=/curation")
        assert login.status_code == 200 and "<script" not in login.text
        token = _csrf(login.text)
        # Wrong password, then a login form without its token: refused.
        r = client.post("/curation/connexion", data={"csrf": token, "password": "non"})
        assert r.status_code == 401 and "incorrect" in r.text
        token = _csrf(r.text)
        r = client.post("/curation/connexion", data={"password": ADMIN}, follow_redirects=False)
        assert r.status_code == 403
        r = client.post(
            "/curation/connexion", data={"csrf": token, "password": ADMIN}, follow_redirects=False
        )
        assert r.status_code == 303
        cookie = r.headers["set-cookie"]
        assert "veille_session=" in cookie and "HttpOnly" in cookie
        assert "SameSite=lax" in cookie.replace("Lax", "lax") and "Secure" in cookie

        page = client.get("/curation/hebdo")
        assert page.status_code == 200 and "Plickers en classe" in page.text
        csrf = _csrf(page.text)
        form = {"action": "highlight", "entry": mail_ids["c1"], "note": "Très concret"}
        assert client.post("/curation/hebdo", data=form).status_code == 403  # no CSRF token
        r = client.post("/curation/hebdo", data=form | {"csrf": "faux"})
        assert r.status_code == 403
        assert store.highlights("hebdo") == []
        r = client.post("/curation/hebdo", data=form | {"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303
        assert [(h.entry_id, h.note) for h in store.highlights("hebdo")] == [
            (mail_ids["c1"], "Très concret")
        ]
        hide = {"action": "hide", "entry": mail_ids["l2"], "csrf": csrf}
        assert client.post("/curation/hebdo", data=hide, follow_redirects=False).status_code == 303
        intro = {"action": "introduction", "text": "Le mot de la semaine", "csrf": csrf}
        client.post("/curation/hebdo", data=intro)
        assert store.hidden_entries("hebdo") == {mail_ids["l2"]}
        assert store.introduction("hebdo", 1) == "Le mot de la semaine"
        again = client.get("/curation/hebdo").text
        assert "Très concret" in again and "Le mot de la semaine" in again

        client.post("/curation/deconnexion", data={"csrf": csrf})
        assert client.get("/curation", follow_redirects=False).status_code == 303
    # A forged session cookie is no session.
    with client_for(store) as client:
        forged = Signer("une-autre-clé-tout-aussi-longue", "session").sign(
            {"csrf": "a", "exp": 9_999_999_999}
        )
        client.cookies.set("veille_session", forged, domain="testserver", path="/curation")
        r = client.post(
            "/curation/hebdo", data={"action": "hide", "entry": mail_ids["c1"], "csrf": "a"}
        )
        assert r.status_code == 401
