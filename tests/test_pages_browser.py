"""The pages as a reader sees them, in headless Debian Chromium against a real uvicorn server
over a realistic week (``tests/week.py``): what a view says it shows, its feeds, the error
pages, the same navigation on every page, and a phone's first screen."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from .browser import LiveServer, violations
from .week import ADMIN, ITEMS, NOW, build_week_app

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop

pytest.importorskip("playwright")

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    app, store = build_week_app(tmp_path_factory.mktemp("week"))
    with LiveServer(app) as live:
        yield live
    store.close()


@pytest.fixture(params=[DESKTOP], ids=["desktop"])
def desktop(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(**request.param, locale="fr-FR")
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(**PHONE, locale="fr-FR")
    yield context.new_page()
    context.close()


def heading(page: Any) -> str:
    return " ".join(page.locator("h1").inner_text().split())


def titles(page: Any) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("main .entry-title").all_inner_texts()]


def week_titles(hours: float, *needles: str) -> set[str]:
    """Titles of the week published less than ``hours`` ago whose title or summary has one
    of ``needles`` (every title without needles)."""
    return {
        title
        for _, age, title, summary in ITEMS
        if age < hours
        and (not needles or any(n.lower() in (title + summary).lower() for n in needles))
    }


# --- a digest shows its period, a search looks everywhere, headings say what is shown ----------


def test_the_weekly_page_holds_the_whole_week(desktop: Any, server: LiveServer) -> None:
    desktop.goto(server.url("/digests/hebdo"))
    everything = week_titles(7 * 24)
    assert sorted(titles(desktop)) == sorted(everything)
    toc = " ".join(desktop.locator(".toc h2").inner_text().split())
    assert toc == f"Sommaire {len(everything)} articles"
    assert desktop.get_by_role("link", name="Articles plus anciens").count() == 0


def test_search_from_the_home_page_looks_at_every_date(desktop: Any, server: LiveServer) -> None:
    desktop.goto(server.url("/"))
    assert heading(desktop) == "La veille du jour"
    desktop.get_by_label("Rechercher").fill("Kahoot")
    desktop.get_by_role("button", name="Filtrer").click()
    desktop.wait_for_url("**/?q=Kahoot**")
    expected = week_titles(7 * 24, "Kahoot")
    assert len(expected) == 2 and all(
        age > 24 for _, age, t, _ in ITEMS if t in expected
    )  # older than the home page's 24 hours
    assert heading(desktop) == "Recherche « Kahoot » — 2 articles"
    assert sorted(titles(desktop)) == sorted(expected)
    assert desktop.locator("#f-period option:checked").inner_text() == "Toutes les dates"


def test_a_theme_heading_counts_its_period(desktop: Any, server: LiveServer) -> None:
    desktop.goto(server.url("/"))
    desktop.get_by_label("Thème", exact=True).select_option(label="Évaluation")
    desktop.get_by_label("Période").select_option(label="7 jours")
    desktop.get_by_role("button", name="Filtrer").click()
    desktop.wait_for_url("**tag=evaluation**")
    shown = titles(desktop)
    assert heading(desktop) == f"Thème Évaluation — {len(shown)} articles sur 7 jours"
    assert len(shown) >= 5
    assert desktop.title().startswith("Thème Évaluation — ")


# --- feeds of a view, subscribing ---------------------------------------------------------------


def feed_titles(page: Any, url: str) -> list[str]:
    r = page.request.get(url)
    assert r.status == 200, url
    if "json" in r.headers["content-type"]:
        return [i["title"] for i in json.loads(r.body())["items"]]
    return [t.text or "" for t in ET.fromstring(r.body()).iter() if t.tag.endswith("title")]


@pytest.mark.parametrize(
    "path",
    ["/digests/hebdo", "/?tag=evaluation&period=7d", "/?q=Kahoot", "/?feed=blog&period=7d"],
)
def test_every_view_links_to_its_own_feed(desktop: Any, server: LiveServer, path: str) -> None:
    desktop.goto(server.url(path))
    links = desktop.locator(".page-links").get_by_role("link", name="RSS")
    assert links.count() == 1 and links.is_visible()
    assert desktop.locator(".page-links").inner_text().startswith("S'abonner à cette vue")
    on_page = set(titles(desktop))
    for name in ("RSS", "Atom", "JSON"):
        href = desktop.locator(".page-links").get_by_role("link", name=name).get_attribute("href")
        found = set(feed_titles(desktop, server.url(href)))
        # A digest's feed follows the server's real clock (its window ends now), the page
        # the test's: only the ad-hoc feeds, which have no window, hold the same articles.
        assert href.startswith("/digests/") or on_page <= found, (name, href)
    alternates = desktop.eval_on_selector_all(
        "link[rel=alternate]", "ls => ls.map(l => l.getAttribute('href'))"
    )
    assert links.get_attribute("href") in alternates


def test_the_subscribe_page_lists_working_addresses(desktop: Any, server: LiveServer) -> None:
    desktop.goto(server.url("/abonnement"))
    text = desktop.locator("main").inner_text()
    assert "prochaine version" not in text and "pas encore actif" not in text
    hrefs = desktop.eval_on_selector_all(
        "main a", "links => links.map(a => a.getAttribute('href'))"
    )
    feeds = [h for h in hrefs if re.search(r"\.(rss|atom|json)(\?|$)", h) or h == "/opml"]
    assert "/digests/hebdo.rss" in feeds and "/feed.atom?feed=ludomag" in feeds
    assert "/tags/ia.json" in feeds and "/opml" in feeds
    for href in feeds:
        r = desktop.request.get(server.url(href))
        assert r.status == 200, href
        assert re.search(r"rss|atom|feed\+json|opml", r.headers["content-type"]), href


# --- errors -----------------------------------------------------------------------------------


def test_unknown_pages_are_french_pages_for_browsers(desktop: Any, server: LiveServer) -> None:
    response = desktop.goto(server.url("/tags/ia"))
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert heading(desktop) == "Page introuvable"
    assert "Aucune page à l'adresse « /tags/ia »" in desktop.locator("main").inner_text()
    nav = desktop.get_by_role("navigation", name="Navigation principale")
    assert nav.get_by_role("link", name="La semaine du numérique éducatif").count() == 1
    desktop.get_by_role("link", name="Le thème « Intelligence artificielle »").click()
    desktop.wait_for_url("**/?tag=ia")
    assert heading(desktop).startswith("Thème Intelligence artificielle — ")
    desktop.goto(server.url("/une-faute-de-frappe"))
    assert heading(desktop) == "Page introuvable" and violations(desktop) == []


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/tags/ia", "application/json"),
        ("/une-faute-de-frappe", "*/*"),  # curl, scripts
        ("/api/v1/inconnu", "text/html,application/xhtml+xml,*/*;q=0.8"),  # a browser, on the API
        ("/digests/inconnu.rss", "application/rss+xml, */*"),  # a feed reader
    ],
)
def test_api_clients_keep_json_errors(
    desktop: Any, server: LiveServer, path: str, accept: str
) -> None:
    r = desktop.request.get(server.url(path), headers={"Accept": accept})
    assert r.status == 404 and r.headers["content-type"] == "application/json"
    assert json.loads(r.body())["detail"]


# --- the same chrome everywhere; a phone's first screen ---------------------------------------


def site_nav(page: Any) -> list[str]:
    nav = page.get_by_role("navigation", name="Navigation principale")
    return [" ".join(t.split()) for t in nav.get_by_role("link").all_inner_texts()]


def test_curation_and_archive_pages_have_the_site_navigation(
    desktop: Any, server: LiveServer
) -> None:
    desktop.goto(server.url("/digests/hebdo"))
    expected = site_nav(desktop)
    assert expected == [
        "La veille du jour",
        "La semaine du numérique éducatif",
        "Sources",
        "S'abonner",
    ]
    desktop.get_by_role("link", name="Préparer la lettre").click()
    # The site's login, then back to the page asked for.
    desktop.wait_for_url(re.compile(r"/connexion\?suite=/curation/hebdo$"))
    assert site_nav(desktop) == expected and violations(desktop) == []
    desktop.get_by_label("Mot de passe").fill(ADMIN)
    desktop.get_by_role("button", name="Se connecter").click()
    desktop.wait_for_url("**/curation/hebdo")
    desktop.goto(server.url("/curation"))
    assert site_nav(desktop) == expected
    desktop.get_by_role("link", name="La semaine du numérique éducatif").last.click()
    desktop.wait_for_url("**/curation/hebdo")
    assert heading(desktop) == "Curation : La semaine du numérique éducatif"
    assert site_nav(desktop) == expected and violations(desktop) == []
    desktop.goto(server.url("/digests/hebdo"))
    desktop.get_by_role("link", name="Numéros envoyés par e-mail").click()
    desktop.wait_for_url("**/digests/hebdo/archive")
    assert site_nav(desktop) == expected and violations(desktop) == []
    sheets = desktop.eval_on_selector_all(
        "link[rel=stylesheet]", "ls => ls.map(l => l.getAttribute('href'))"
    )
    assert sheets == ["/static/veille.css"]


@pytest.mark.parametrize("path", ["/", "/digests/hebdo", "/?q=Kahoot", "/?tag=ia&period=7d"])
def test_on_a_phone_the_first_article_is_on_the_first_screen(
    phone: Any, server: LiveServer, path: str
) -> None:
    phone.goto(server.url(path))
    # the first line of « À la une », else of the first section
    first = phone.locator("main :is(.une-list > li, .entry)").first.bounding_box()
    assert first is not None and first["y"] + 40 < 844, first  # its title is visible
    assert not phone.locator("#f-q").is_visible()  # the form waits behind one button
    summary = phone.locator(".filter-box > summary")
    assert summary.is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert violations(phone) == []
    summary.click()
    assert phone.locator("#f-q").is_visible()
    assert violations(phone) == []
    phone.get_by_label("Rechercher").fill("tablette")
    phone.get_by_role("button", name="Filtrer").click()
    phone.wait_for_url("**q=tablette**")
    assert heading(phone).startswith("Recherche « tablette »")  # with the view's own filters


def test_on_a_desktop_the_filters_are_open(desktop: Any, server: LiveServer) -> None:
    desktop.goto(server.url("/"))
    assert desktop.locator("#f-q").is_visible()
    assert not desktop.locator(".filter-box > summary").is_visible()
    # open for assistive technologies too, not only painted
    assert desktop.get_by_role("search").get_by_role("searchbox", name="Rechercher").is_visible()
    snapshot = desktop.locator("main").aria_snapshot()
    assert 'searchbox "Rechercher"' in snapshot and 'combobox "Thème"' in snapshot
    assert desktop.evaluate("document.scripts.length") == 0
    assert NOW.year == 2026  # the week's clock, shown in the leads
