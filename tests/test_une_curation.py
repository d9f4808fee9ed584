"""« À la une » in curation: the ranking shown with its reasons, a story dropped by an editor
(session + CSRF, stored) and gone from the page, the output feed and the letter, then put
back (undo). In-process against SQLite and PostgreSQL; the letter over a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import feedparser
from fastapi.testclient import TestClient

from veille.mailing.delivery import send_issue
from veille.store import Store

from .mail_support import ADMIN, MailServer
from .test_curation_page import log_in
from .une_week import NOW, SENTENCES, mail_app

SENTENCES_NO_STOP = [s.removesuffix(".") for s in SENTENCES]


def une_reasons(page: str) -> list[str]:
    block = page.split('id="a-la-une"')[1].split("</section>")[0]
    return [unescape(r) for r in re.findall(r'<p class="cur-meta">([^<(]+?)(?: \(|</p>)', block)]


def test_drop_a_story_everywhere_then_put_it_back(
    store: Store, tmp_path: Path, smtp: MailServer
) -> None:
    app, config, mail_settings = mail_app(store, tmp_path, smtp.port)
    with TestClient(app, base_url="https://testserver") as client:
        csrf = log_in(client)
        page = client.get("/curation/hebdo").text
        # The ranking, best first, with the reasons the letter will give.
        assert une_reasons(page) == SENTENCES_NO_STOP
        first = re.search(r'<p class="cur-title" id="u-(\d+)">(?:<a [^>]*>)?([^<]+)<', page)
        assert first is not None
        shown, title = first[1], unescape(first[2])
        digest = client.get("/digests/hebdo").text
        assert title in unescape(digest.split('id="a-la-une"')[1].split("</section>")[0])
        feed = [
            e.title for e in feedparser.parse(client.get("/digests/hebdo/une.rss").content).entries
        ]
        assert title in feed

        # Without the form's token: refused, nothing stored.
        refused = client.post(
            "/curation/hebdo", data={"action": "une_drop", "entry": shown}, follow_redirects=False
        )
        assert refused.status_code == 403 and store.une_dropped("hebdo") == frozenset()

        drop = {"action": "une_drop", "entry": shown, "csrf": csrf}
        done = client.post("/curation/hebdo", data=drop, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"].endswith("#a-la-une")
        assert store.une_dropped_entries("hebdo") == [shown]
        page = client.get("/curation/hebdo").text
        assert len(une_reasons(page)) == 5  # the next story took its place
        dropped = page.split("Retirés par l'équipe")[1].split("</ul>")[0]
        assert 'value="une_restore"' in dropped
        digest = client.get("/digests/hebdo").text
        top = digest.split('id="a-la-une"')[1].split("</section>")[0]
        assert title not in unescape(top)
        assert title in unescape(digest)  # back in its section, told in full
        feed = [
            e.title for e in feedparser.parse(client.get("/digests/hebdo/une.rss").content).entries
        ]
        assert title not in feed and len(feed) == 5
        # An unknown story: a French 404, nothing stored.
        bad = client.post("/curation/hebdo", data=drop | {"entry": "999999"})
        assert bad.status_code == 404 and store.une_dropped_entries("hebdo") == [shown]

        # The letter agrees: the story is not « À la une », it is in its section.
        report = send_issue(
            store, mail_settings, config, "hebdo",
            lambda: NOW + timedelta(minutes=1),
        )  # fmt: skip
        assert report is not None and report.ok
        (received,) = smtp.received
        text = received.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        after = text.replace("\r\n", "\n").split("À LA UNE CETTE SEMAINE\n")[1]
        heading = re.search(r"^[A-ZÉ][A-ZÉÈ ]+ \(\d+ articles?\)$", after, re.M)
        assert heading is not None
        une, sections = after[: heading.start()], after[heading.start() :]
        assert une.count("\n- ") == 5 and f"- {title}" not in une
        assert f"- {title}" in sections

        # Undo: the story is « À la une » again.
        back = {"action": "une_restore", "entry": shown, "csrf": csrf}
        assert client.post("/curation/hebdo", data=back, follow_redirects=False).status_code == 303
        assert store.une_dropped("hebdo") == frozenset()
        feed = [
            e.title for e in feedparser.parse(client.get("/digests/hebdo/une.rss").content).entries
        ]
        assert title in feed


def test_the_api_shows_the_ranking_and_drops_a_story(
    store: Store, tmp_path: Path, smtp: MailServer
) -> None:
    app, _, _ = mail_app(store, tmp_path, smtp.port)
    auth = {"Authorization": f"Bearer {ADMIN}"}
    url = "/api/v1/digests/hebdo"
    with TestClient(app) as client:
        assert client.get(f"{url}/curation").status_code == 401
        curation = client.get(f"{url}/curation", headers=auth).json()
        assert [u["reason"] for u in curation["une"]] == SENTENCES_NO_STOP
        first = curation["une"][0]["entry"]
        assert client.put(f"{url}/une/dropped/{first}").status_code == 401
        assert client.put(f"{url}/une/dropped/{first}", headers=auth).status_code == 204
        after = client.get(f"{url}/curation", headers=auth).json()
        assert first not in [u["entry"] for u in after["une"]] and len(after["une"]) == 5
        assert after["une_dropped"] == [first]
        missing = client.put(f"{url}/une/dropped/999999", headers=auth)
        assert missing.status_code == 404 and missing.json() == {
            "detail": "article inconnu : 999999"
        }
        assert client.delete(f"{url}/une/dropped/{first}", headers=auth).status_code == 204
        again = client.get(f"{url}/curation", headers=auth).json()
        assert again["une"][0]["entry"] == first and again["une_dropped"] == []
