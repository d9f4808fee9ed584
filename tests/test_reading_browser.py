"""A reader follows their reading in headless Debian Chromium, against a real uvicorn server
over the realistic week (``tests/week.py``): log in, mark an article read, keep one, see what
arrived since the last visit, log out — every page checked by axe-core at 390 and 1280 px."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from veille.models import ParsedEntry
from veille.passwords import hash_password

from .browser import LiveServer, violations
from .week import NOW, build_week_app

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop

pytest.importorskip("playwright")

PASSWORD = "correct cheval agrafe pile"
WIDTHS = (390, 1280)
DIGEST = "/digests/hebdo"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def no_violation_at_both_widths(page: Any) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.locator("h1").count() == 1
        assert violations(page) == [], f"{page.url} à {width} px"


def log_in(page: Any, server: LiveServer, next_path: str) -> None:
    page.goto(server.url(next_path))  # a reader's page: the way to the login form
    assert "/connexion" in page.url
    page.get_by_label("Nom du compte").fill("marie")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**{next_path}")


def unread_titles(page: Any) -> list[str]:
    return page.locator("article.is-unread .entry-title a").all_inner_texts()  # type: ignore[no-any-return]


def test_a_reader_follows_their_reading(browser: Any, tmp_path: Path) -> None:
    app, store = build_week_app(tmp_path)
    clock = Clock(NOW)
    app.state.clock = clock
    store.add_account("marie", "lecteur", "Marie Dupont", now=NOW)
    store.set_password("marie", hash_password(PASSWORD), now=NOW)
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        with LiveServer(app) as server:
            log_in(page, server, "/moi")
            assert "Marie Dupont" in page.locator("dl.account").inner_text()
            no_violation_at_both_widths(page)

            page.goto(server.url(DIGEST))
            page.set_viewport_size({"width": 1280, "height": 900})
            unread = unread_titles(page)
            assert len(unread) > 10  # a new account: the week is unread
            count = page.locator("#non-lus").inner_text()
            assert count == f"{len(unread)} articles non lus sur cette page."
            no_violation_at_both_widths(page)

            # Mark the first unread article read: back at its place, read, one fewer unread.
            first = page.locator("article.is-unread").first
            ident = first.get_attribute("aria-labelledby")
            first.get_by_role("button", name="Marquer comme lu").click()
            page.wait_for_url(f"**{DIGEST}#{ident}")
            article = page.locator(f"article[aria-labelledby='{ident}']")
            assert "is-read" in (article.get_attribute("class") or "")
            assert article.get_by_role("button", name="Marquer comme non lu").count() == 1
            assert len(unread_titles(page)) == len(unread) - 1
            heading = page.locator(f"#{ident}").inner_text()
            assert "Non lu" not in heading

            # Keep another one « à lire plus tard ».
            second = page.locator("article.is-unread").nth(1)
            kept_title = second.locator(".entry-title a").inner_text()
            second.get_by_role("button", name="Garder").click()
            page.get_by_role("link", name="Mes articles gardés").click()
            page.wait_for_url("**/moi/gardes")
            assert page.locator(".entry-title a").all_inner_texts() == [kept_title]
            no_violation_at_both_widths(page)

            # Three hours later one article arrived: « Nouveaux depuis ma dernière visite ».
            arrived = NOW + timedelta(hours=1)
            store.save_entries(
                "cafe",
                [
                    ParsedEntry(
                        key="arrive",
                        guid="arrive",
                        url="https://cafe.example/arrive",
                        title="Un article arrivé pendant l'absence",
                        summary_html="<p>Publié après la dernière visite.</p>",
                        published=arrived,
                    )
                ],
                now=arrived,
            )
            clock.now = NOW + timedelta(hours=3)
            page.goto(server.url(DIGEST))
            page.get_by_role("link", name="Nouveaux depuis ma dernière visite").click()
            page.wait_for_url("**vue=nouveaux")
            assert page.locator("h1").inner_text() == "Nouveaux depuis ma dernière visite"
            assert page.locator(".entry-title a").all_inner_texts() == [
                "Un article arrivé pendant l'absence"
            ]
            no_violation_at_both_widths(page)

            # The titles-only view of a reader: marks, no violation.
            page.goto(server.url(DIGEST + "?vue=titres"))
            no_violation_at_both_widths(page)

            # Log out: the reader's pages need a login again.
            page.goto(server.url("/moi"))
            page.get_by_role("button", name="Se déconnecter").click()
            page.goto(server.url("/moi/gardes"))
            assert "/connexion" in page.url
            page.goto(server.url(DIGEST))
            assert page.locator("article.is-unread").count() == 0  # the public page again
            assert page.locator("form.entry-actions").count() == 0
    finally:
        context.close()
        store.close()
