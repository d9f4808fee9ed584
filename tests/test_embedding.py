"""Embedding in ENT portals and Moodle, in-process against real SQLite: the widget's page,
the framing rule of each answer (``frame-ancestors``), CORS on public reads only. The real
browser's view (framing enforced, a portal's fetch, axe) is in ``test_embedding_browser.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from veille.render.html import CSP
from veille.web.embedding import frame_policy

from .browser import HOSTILE_TITLE, build_app
from .test_pages import Doc

ADMIN = "jeton-admin-des-tests-d-integration"
SECRET = "une-clé-secrète-des-tests-d-integration"
PORTALS = "https://ent.example.fr https://*.moodle.example.fr:8443"
ALLOWED = "frame-ancestors https://ent.example.fr https://*.moodle.example.fr:8443"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app, store = build_app(tmp_path, admin_token=ADMIN, secret_key=SECRET)
    with TestClient(app) as c:
        yield c
    store.close()


@pytest.fixture
def portal_client(tmp_path: Path) -> Iterator[TestClient]:
    app, store = build_app(tmp_path, admin_token=ADMIN, secret_key=SECRET, frame_ancestors=PORTALS)
    with TestClient(app) as c:
        yield c
    store.close()


# --- the widget ---------------------------------------------------------------------------------


def test_widget_lists_the_latest_titles_by_theme(client: TestClient) -> None:
    r = client.get("/digests/quotidien/widget")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-security-policy"] == CSP  # the pages' own, framing refused
    assert r.headers["cache-control"] == "public, max-age=300"
    doc = Doc(r.text)
    tags = [e.tag for e in doc.elements]
    assert tags.count("h1") == 1 and "script" not in tags and "form" not in tags
    assert "nav" not in tags and "img" not in tags  # no chrome
    assert [h.text for h in doc.elements if h.tag == "h2"] == [
        "Évaluation",
        "Intelligence artificielle",
        "Tablettes",
        "Autres",
    ]
    links = [e for e in doc.elements if e.tag == "a"]
    assert links and all(a.attrs.get("target") == "_top" for a in links)
    titles = [a.text for a in links if a.attrs["href"].startswith("https://cafe.example/")]
    assert "L'IA générative au lycée : retour d'expérience" in titles
    assert HOSTILE_TITLE in [a.text for a in links]  # as text
    assert "<script>window.__pwned" not in r.text
    assert links[-2].attrs["href"] == "http://127.0.0.1:8000/digests/quotidien"
    assert links[-1].attrs["href"] == "http://127.0.0.1:8000/digests/quotidien.rss"


def test_widget_count_and_errors(client: TestClient) -> None:
    three = Doc(client.get("/digests/quotidien/widget?n=3").text)
    assert sum(e.tag == "li" for e in three.elements) == 3
    too_many = client.get("/digests/quotidien/widget?n=31")
    assert too_many.status_code == 400
    assert too_many.json() == {"detail": "n : doit être inférieur ou égal à 30"}
    assert client.get("/digests/nulle-part/widget").status_code == 404
    css = client.get("/static/widget.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


# --- framing ------------------------------------------------------------------------------------

PUBLIC_PAGES = [
    "/",
    "/digests/quotidien",
    "/digests/quotidien/widget",
    "/digests/hebdo/widget?n=5",
    "/feeds",
    "/abonnement",
]
NEVER_FRAMED = [
    "/curation",
    "/curation/connexion",
    "/desabonnement/jeton-invalide",
    "/docs",
    "/api/v1/feeds",
    "/digests/quotidien.rss",
    "/digests/quotidien/widget/autre",  # a 404: not a public page
]


@pytest.mark.parametrize("path", PUBLIC_PAGES + NEVER_FRAMED)
def test_nothing_is_framed_by_default(client: TestClient, path: str) -> None:
    csp = client.get(path).headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_configured_portals_may_frame_public_pages(portal_client: TestClient, path: str) -> None:
    r = portal_client.get(path)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert csp == CSP.replace("frame-ancestors 'none'", ALLOWED)  # the rest unchanged
    assert "x-frame-options" not in r.headers  # it would override the CSP in old browsers


@pytest.mark.parametrize("path", NEVER_FRAMED)
def test_forms_and_other_answers_are_never_framed(portal_client: TestClient, path: str) -> None:
    csp = portal_client.get(path).headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "ent.example.fr" not in csp


@pytest.mark.parametrize(
    ("csp", "expected"),
    [
        ("default-src 'none'; frame-ancestors 'none'", "default-src 'none'; frame-ancestors a b"),
        ("frame-ancestors 'none'; base-uri 'none'", "frame-ancestors a b; base-uri 'none'"),
        ("default-src 'none'", "default-src 'none'; frame-ancestors a b"),
        ("", "frame-ancestors a b"),
    ],
)
def test_frame_policy(csp: str, expected: str) -> None:
    assert frame_policy(csp, ("a", "b")) == expected


# --- CORS ---------------------------------------------------------------------------------------

READABLE = [
    "/digests/quotidien.rss",
    "/digests/hebdo.atom",
    "/tags/ia.json",
    "/feed.json?tag=ia",
    "/opml",
    "/api/v1/entries?limit=2",
    "/api/v1/feeds",
    "/api/v1/tags",
    "/api/v1/digests",
]


@pytest.mark.parametrize("path", READABLE)
def test_public_reads_are_readable_from_any_origin(client: TestClient, path: str) -> None:
    origin = {"Origin": "https://ent.example.fr"}
    r = client.get(path, headers=origin)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    assert client.head(path, headers=origin).headers["access-control-allow-origin"] == "*"


def test_no_cors_on_pages_curation_login_or_writes(client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {ADMIN}", "Origin": "https://ent.example.fr"}
    entry = client.get("/api/v1/entries?limit=1").json()["entries"][0]["id"]
    answers = [
        client.get("/digests/quotidien", headers=auth),
        client.get("/digests/quotidien/widget", headers=auth),
        client.get("/curation/connexion", headers=auth),
        client.get("/api/v1/digests/quotidien/curation", headers=auth),
        client.put(
            f"/api/v1/digests/quotidien/highlights/{entry}", json={"note": "à lire"}, headers=auth
        ),
        client.delete(f"/api/v1/digests/quotidien/highlights/{entry}", headers=auth),
        client.post("/curation/connexion", data={"password": "x"}, headers=auth),
        client.options(
            "/api/v1/entries",
            headers=auth | {"Access-Control-Request-Method": "DELETE"},
        ),  # a preflight is never answered
    ]
    assert [r.status_code < 500 for r in answers] == [True] * len(answers)
    assert answers[3].status_code == 200 and answers[4].status_code in (200, 204)
    assert [r.headers.get("access-control-allow-origin") for r in answers] == [None] * len(answers)
