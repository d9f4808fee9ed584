"""The curation page as an editor's working tool, and corrections of themes end to end: made
on the page (session + CSRF) or through the API (admin token), honoured by every output —
the digest page, RSS/Atom/JSON Feed, the theme feeds, the API, the e-mail sent over SMTP.
In-process against SQLite and PostgreSQL; the same page in Chromium (axe, keyboard, 390 px)
in ``test_curation_browser.py``."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient

from veille.mailing.delivery import send_issue
from veille.store import Store
from veille.web import create_app

from .mail_support import ADMIN, CONFIG, NOW, Clock, MailServer, populate
from .mail_support import settings as mail_settings

AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def ids(store: Store) -> dict[str, str]:
    """c1 « Plickers en classe de 5e » (evaluation), c2 (ia), c3 (tablettes), c4 and l1
    (evaluation), c5 (none), l2 « Sortie scolaire au musée » (none), all this week."""
    return populate(store, NOW - timedelta(minutes=30))


def client_for(store: Store, port: int = 1) -> TestClient:
    app = create_app(mail_settings(port), store, CONFIG)
    app.state.clock = Clock(NOW)
    return TestClient(app, base_url="https://testserver")


def log_in(client: TestClient, name: str = "Maud") -> str:
    """Log in through the form with a name; the session's CSRF token."""
    form = client.get("/curation/connexion").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None
    r = client.post("/curation/connexion", data={"csrf": token[1], "password": ADMIN, "name": name})
    assert r.status_code == 200, r.text  # followed to /curation
    page = client.get("/curation/hebdo").text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def sections(page: str) -> dict[str, list[str]]:
    """{section id: titles of its rows}, in page order (the curation page or the digest)."""
    found: dict[str, list[str]] = {}
    for part in re.split(r'<section class="[^"]*" id="s-', page)[1:]:
        name = part.split('"', 1)[0]
        titles = re.findall(r'(?:cur-title|entry-title)"[^>]*>(?:<a [^>]*>)?([^<]+)<', part)
        found[name] = [html.unescape(t) for t in titles]
    return found


def row(page: str, entry: str) -> str:
    """The HTML of one entry's row."""
    start = page.index(f'id="e-{entry}"')
    ends = [
        i for i in (page.find('<li class="cur-row', start), page.find("</section>", start)) if i > 0
    ]
    return page[start : min(ends)]


# --- the page ---------------------------------------------------------------------------------


def test_rows_grouped_by_theme_with_their_actions(store: Store, ids: dict[str, str]) -> None:
    with client_for(store) as client:
        log_in(client)
        page = client.get("/curation/hebdo").text
    assert list(sections(page)) == ["evaluation", "ia", "tablettes", "autres"]  # taxonomy order
    assert sections(page)["evaluation"] == [
        "Plickers en classe de 5e",
        "Kahoot ou Quizinière ?",
        "Évaluation par compétences : retours",
    ]
    assert "Sortie scolaire au musée" in sections(page)["autres"]
    c1 = row(page, ids["c1"])
    # One compact row: its theme to remove, the themes it may get, highlight, hide, seen.
    assert 'name="action" value="untag"' in c1 and 'name="tag" value="evaluation"' in c1
    assert '<option value="ia">Intelligence artificielle</option>' in c1
    assert '<option value="evaluation">' not in c1  # it has it already
    for action in ("highlight", "hide", "review"):
        assert f'name="action" value="{action}"' in c1, action
    assert "<script" not in page
    assert "7 articles, dont 7 à revoir" in page
    # Why each theme is there, beside it: the words found and where (a correction is made
    # knowing why); an entry without theme says nothing.
    assert "Pourquoi : Évaluation, « Plickers » dans le titre" in html.unescape(c1)
    assert "Pourquoi : Intelligence artificielle, « IA » dans le titre" in html.unescape(
        row(page, ids["c2"])
    )
    assert "cur-why" not in row(page, ids["l2"])


def test_correcting_themes_on_the_page(store: Store, ids: dict[str, str]) -> None:
    with client_for(store) as client:
        csrf = log_in(client, "Maud")
        untag = {
            "action": "untag",
            "entry": ids["c1"],
            "tag": "evaluation",
            "back": "?tag=evaluation",
        }
        assert client.post("/curation/hebdo", data=untag).status_code == 403  # no CSRF token
        assert store.corrections() == []
        r = client.post("/curation/hebdo", data=untag | {"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303
        # Back to the filtered view it came from, at the entry.
        assert r.headers["location"] == f"/curation/hebdo?tag=evaluation#e-{ids['c1']}"
        add = {"action": "tag", "entry": ids["l2"], "tag": "tablettes", "csrf": csrf}
        assert client.post("/curation/hebdo", data=add, follow_redirects=False).status_code == 303
        assert [(c.entry_id, c.tag, c.added, c.editor) for c in store.corrections()] == [
            (ids["l2"], "tablettes", True, "Maud"),
            (ids["c1"], "evaluation", False, "Maud"),
        ]
        page = client.get("/curation/hebdo").text
        assert "Plickers en classe de 5e" in sections(page)["autres"]
        assert sections(page)["tablettes"] == [  # newest first
            "Sortie scolaire au musée",
            "Des tablettes pour la 6e",
        ]
        assert "chip-editor" in row(page, ids["l2"])  # shown as an editor's theme
        assert "Pourquoi : Tablettes, ajouté par l'équipe" in html.unescape(row(page, ids["l2"]))
        text = html.unescape(re.sub(r"\s+", " ", page))
        assert "« Évaluation » retiré de « Plickers en classe de 5e », par Maud" in text
        assert "« Tablettes » ajouté à « Sortie scolaire au musée », par Maud" in text
        # Acting on an entry is going through it.
        assert store.reviewed_entries("hebdo") == {ids["c1"], ids["l2"]}

        # Undo: the theme goes back to the rules (« Plickers » gives evaluation again).
        undo = {"action": "undo", "entry": ids["c1"], "tag": "evaluation", "csrf": csrf}
        assert client.post("/curation/hebdo", data=undo, follow_redirects=False).status_code == 303
        assert (
            "Plickers en classe de 5e" in sections(client.get("/curation/hebdo").text)["evaluation"]
        )
        assert [c.entry_id for c in store.corrections()] == [ids["l2"]]

        # Refusals in French, nothing changed: an unknown theme, an unknown entry, nothing to undo.
        bad = client.post("/curation/hebdo", data=add | {"tag": "inexistant"})
        assert bad.status_code == 400 and "thème inconnu" in bad.text
        bad = client.post("/curation/hebdo", data=add | {"entry": "987654"})
        assert bad.status_code == 404 and "article inconnu" in bad.text
        bad = client.post("/curation/hebdo", data=undo)
        assert bad.status_code == 404 and "aucune correction" in bad.text
        assert len(store.corrections()) == 1


def test_filters_theme_source_and_not_yet_seen(store: Store, ids: dict[str, str]) -> None:
    with client_for(store) as client:
        csrf = log_in(client)
        assert sections(client.get("/curation/hebdo?tag=ia").text) == {
            "ia": ["L'IA générative au lycée : un guide"]
        }
        assert sections(client.get("/curation/hebdo?feed=ludo").text) == {
            "evaluation": ["Kahoot ou Quizinière ?"],
            "autres": ["Sortie scolaire au musée"],
        }
        assert list(sections(client.get("/curation/hebdo?tag=autres").text)) == ["autres"]
        # Seen: one entry, then every row shown by a filtered view.
        seen = {"action": "review", "entry": ids["c1"], "csrf": csrf, "back": "?revoir=1"}
        r = client.post("/curation/hebdo", data=seen, follow_redirects=False)
        assert r.headers["location"] == f"/curation/hebdo?revoir=1#e-{ids['c1']}"
        todo = client.get("/curation/hebdo?revoir=1").text
        assert "Plickers en classe de 5e" not in todo and "6 à revoir" in todo
        shown = re.search(
            r'name="entries" value="([^"]+)"', client.get("/curation/hebdo?feed=ludo").text
        )
        assert shown is not None and set(shown[1].split(",")) == {ids["l1"], ids["l2"]}
        bulk = {"action": "review", "entries": shown[1], "csrf": csrf}
        assert client.post("/curation/hebdo", data=bulk, follow_redirects=False).status_code == 303
        assert store.reviewed_entries("hebdo") == {ids["c1"], ids["l1"], ids["l2"]}
        left = sections(client.get("/curation/hebdo?revoir=1&feed=ludo").text)
        assert left == {}
        # An unknown theme or source is a French 400; a forged « back » is dropped.
        r = client.get("/curation/hebdo?tag=nulle-part")
        assert r.status_code == 400 and "Ce thème ou cette source n'existe pas" in html.unescape(
            r.text
        )
        assert client.get("/curation/hebdo?feed=inconnue").status_code == 400
        evil = seen | {"back": "//evil.example/?tag=ia"}
        r = client.post("/curation/hebdo", data=evil, follow_redirects=False)
        assert r.headers["location"] == f"/curation/hebdo#e-{ids['c1']}"


def test_the_login_name_signs_corrections_and_defaults_to_the_team(
    store: Store, ids: dict[str, str]
) -> None:
    with client_for(store) as client:
        csrf = log_in(client, "  Yann\r\nLe Goff  ")
        data = {"action": "untag", "entry": ids["c2"], "tag": "ia", "csrf": csrf}
        client.post("/curation/hebdo", data=data)
    with client_for(store) as client:
        csrf = log_in(client, "")
        data = {"action": "untag", "entry": ids["c3"], "tag": "tablettes", "csrf": csrf}
        client.post("/curation/hebdo", data=data)
    assert {c.entry_id: c.editor for c in store.corrections()} == {
        ids["c2"]: "Yann Le Goff",
        ids["c3"]: "équipe",
    }


# --- the API ------------------------------------------------------------------------------------


def test_corrections_through_the_api(store: Store, ids: dict[str, str]) -> None:
    url = f"/api/v1/corrections/{ids['l2']}/tablettes"
    with client_for(store) as client:
        assert client.put(url, json={"added": True}).status_code == 401
        assert (
            client.put(url, json={"added": True}, headers={"Authorization": "Bearer x"}).status_code
            == 403
        )
        assert client.get("/api/v1/corrections").status_code == 401
        r = client.put(url, json={"added": True, "editor": "Script du lundi"}, headers=AUTH)
        assert r.status_code == 200
        assert r.json() == {
            "entry": ids["l2"],
            "tag": "tablettes",
            "added": True,
            "editor": "Script du lundi",
            "at": "2026-11-30T07:00:00+00:00",
            "title": "Sortie scolaire au musée",
        }
        r = client.put(
            f"/api/v1/corrections/{ids['c1']}/evaluation", json={"added": False}, headers=AUTH
        )
        assert r.json()["editor"] == "API"
        listed = client.get("/api/v1/corrections", headers=AUTH).json()["corrections"]
        assert [(c["entry"], c["tag"], c["added"]) for c in listed] == [
            (ids["l2"], "tablettes", True),
            (ids["c1"], "evaluation", False),
        ]
        only = client.get("/api/v1/corrections", params={"entry": ids["c1"]}, headers=AUTH).json()
        assert [c["tag"] for c in only["corrections"]] == ["evaluation"]
        # Refusals: unknown theme, unknown entry, a body that is not one, nothing to undo.
        assert (
            client.put(
                f"/api/v1/corrections/{ids['l2']}/nope", json={"added": True}, headers=AUTH
            ).status_code
            == 400
        )
        r = client.put("/api/v1/corrections/999999/ia", json={"added": True}, headers=AUTH)
        assert r.status_code == 404 and r.json()["detail"] == "article inconnu : 999999"
        assert client.put(url, json={"added": "peut-être"}, headers=AUTH).status_code == 400
        assert client.put(url, json={"added": True, "editor": ""}, headers=AUTH).status_code == 400
        assert client.delete(url, headers=AUTH).status_code == 204
        assert client.delete(url, headers=AUTH).status_code == 404
        assert [c.entry_id for c in store.corrections()] == [ids["c1"]]


# --- every output honours them ----------------------------------------------------------------


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def mail_sections(text: str) -> dict[str, str]:
    """{SECTION LABEL: its text} of the letter's plain-text part."""
    parts = re.split(r"^([A-ZÉÈÀÂÎÔÛÇŒ ]+) \(\d+ articles?\)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_output_honours_the_corrections(store: Store, ids: dict[str, str]) -> None:
    with MailServer() as smtp, client_for(store, smtp.port) as client:
        before = client.get("/tags/tablettes.rss").headers["etag"]
        for entry, tag, added in (("l2", "tablettes", True), ("c1", "evaluation", False)):
            r = client.put(
                f"/api/v1/corrections/{ids[entry]}/{tag}", json={"added": added}, headers=AUTH
            )
            assert r.status_code == 200, r.text
        museum, plickers = "Sortie scolaire au musée", "Plickers en classe de 5e"

        # The digest page: sections, and a reader's theme filter.
        page = client.get("/digests/hebdo").text
        assert museum in sections(page)["tablettes"] and plickers in sections(page)["autres"]
        assert museum in client.get("/digests/hebdo?tag=tablettes").text
        assert plickers not in client.get("/digests/hebdo?tag=evaluation").text
        # Output feeds: the theme feeds in every format, the ad-hoc filter, new validators.
        for ext in ("rss", "atom", "json"):
            assert museum in client.get(f"/tags/tablettes.{ext}").text, ext
            assert plickers not in client.get(f"/tags/evaluation.{ext}").text, ext
            assert plickers not in client.get(f"/feed.{ext}?tag=evaluation").text, ext
        assert client.get("/tags/tablettes.rss").headers["etag"] != before
        # The API: filters, counts, the reason of a tag.
        listed = client.get("/api/v1/entries", params={"tag": "tablettes"}).json()["entries"]
        assert museum in [e["title"] for e in listed]
        counts = {t["id"]: t["entries"] for t in client.get("/api/v1/tags").json()["tags"]}
        assert (counts["evaluation"], counts["tablettes"]) == (2, 2)  # were 3 and 1
        one = client.get(f"/api/v1/entries/{ids['l2']}").json()
        assert one["tags"] == ["tablettes"]
        assert one["tag_reasons"] == [{"tag": "tablettes", "field": "editor", "term": ""}]

        # The e-mail, as sent over SMTP.
        report = send_issue(store, mail_settings(smtp.port), CONFIG, "hebdo", Clock(NOW))
        assert report.sent == 4
        letter = mail_sections(plain_text(smtp.to("ana@college.example")[0]))
        assert museum in letter["TABLETTES"] and plickers in letter["AUTRES"]
        assert plickers not in letter["ÉVALUATION"]
