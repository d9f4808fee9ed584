"""« À la une » on the digest pages, in headless Debian Chromium against a real uvicorn server
over a week in which outlets relay the same stories (``tests/une_week.py``): the block above
the sections, the sections linking to it instead of telling a story twice, the titles-only
view, the reading time, the ranking in curation (a story dropped, then put back); axe-core
finds nothing on a phone and on a desktop."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from .browser import LiveServer, violations
from .screenshots import log_in
from .une_week import SENTENCES, build_une_app

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop

pytest.importorskip("playwright")

SIZES = {"phone": (390, 844), "desktop": (1280, 900)}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    app, store = build_une_app(tmp_path_factory.mktemp("une"))
    with LiveServer(app) as live:
        yield live
    store.close()


@pytest.fixture(params=list(SIZES))
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    width, height = SIZES[request.param]
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="fr-FR", is_mobile=width < 500
    )
    yield context.new_page()
    context.close()


def texts(page: Any, selector: str) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(selector).all_inner_texts()]


def test_the_most_relayed_stories_open_the_digest(page: Any, server: LiveServer) -> None:
    page.goto(server.url("/digests/hebdo"))
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    une = page.get_by_role("region", name="À la une")
    assert une.get_by_role("heading", level=2).inner_text().startswith("À la une")
    lines = texts(page, ".une-list > li .une-meta .une-reason")
    assert lines == [s.removesuffix(".") for s in SENTENCES]
    # The sources a reason does not name are listed beside it, the named one not twice.
    first = texts(page, ".une-list > li:first-child .une-sources")
    assert first == ["(avec L'Étudiant, franceinfo et VousNousIls)"]
    # Above the sections, and before the table of contents.
    assert page.evaluate(
        "document.querySelector('.une').compareDocumentPosition(document.querySelector('.toc'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    assert page.locator(".une-list > li").count() == 5


def test_sections_link_to_a_story_instead_of_telling_it_twice(
    page: Any, server: LiveServer
) -> None:
    page.goto(server.url("/digests/hebdo"))
    une_titles = texts(page, ".une-title")
    told = texts(page, ".theme .entry:not(.entry-une) .entry-title")
    assert not set(une_titles) & set(told)
    refs = page.locator(".theme .entry-une .entry-title a")
    assert refs.count() == 5
    for i in range(refs.count()):
        target = refs.nth(i).get_attribute("href")
        assert target is not None and target.startswith("#une-")
        assert page.locator(target).count() == 1  # the anchor exists
        assert refs.nth(i).inner_text() in une_titles
    # The blog's posts, nobody relayed them: told in their sections, never « À la une ».
    assert all("blog" not in t for t in texts(page, ".une-list > li .une-meta"))
    assert any("prof de techno" in t for t in texts(page, ".theme .entry .source"))
    # « 11 articles depuis …, environ 2 min de lecture. »: the count is said once.
    (lead,) = texts(page, ".lead")
    assert lead.startswith("11 articles depuis ") and lead.count("article") == 1, lead
    (reading,) = texts(page, ".reading-time")
    assert reading.startswith("environ ") and reading.endswith(" min de lecture")


def test_titles_only_view(page: Any, server: LiveServer) -> None:
    page.goto(server.url("/digests/hebdo"))
    page.get_by_role("link", name="Titres seuls (lecture en une minute)").click()
    page.wait_for_url("**vue=titres**")
    assert violations(page) == []
    assert page.locator(".summary").count() == 0
    assert page.locator(".reading-time").count() == 0
    assert page.locator(".une-list > li").count() == 5
    sections = texts(page, ".theme > h2")
    assert [s.split(" ")[0] for s in sections] == ["Intelligence", "ENT", "Ressources", "Examens"]
    assert page.locator(".theme .title-line").count() == 11
    page.get_by_role("link", name="Afficher les résumés").click()
    page.wait_for_url(lambda url: "vue=" not in url)
    assert page.locator(".summary").count() > 0


def test_une_is_printed_with_its_addresses(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.emulate_media(media="print")
        page.goto(server.url("/digests/hebdo"))
        assert page.evaluate("getComputedStyle(document.querySelector('.une')).display") != "none"
        link = ".une-title a"
        after = page.evaluate(
            f'getComputedStyle(document.querySelector("{link}"), "::after").content'
        )
        href = page.evaluate(f'document.querySelector("{link}").getAttribute("href")')
        assert href.startswith("https://") and href in after
        assert page.pdf(format="A4").startswith(b"%PDF")
    finally:
        context.close()


def test_curation_shows_the_ranking_and_drops_a_story(page: Any, server: LiveServer) -> None:
    log_in(page, server)
    page.goto(server.url("/curation/hebdo"))
    une = page.get_by_role("region", name=re.compile("^À la une"))
    assert texts(page, "#a-la-une .cur-meta")[0].startswith(SENTENCES[0].removesuffix("."))
    page.locator("details.cur-intro").evaluate("d => d.open = true")  # the drafted introduction
    assert page.get_by_label("Brouillon (modifiable)").input_value().startswith("VousNousIls : « ")
    assert violations(page) == []
    first = texts(page, "#a-la-une .cur-une .cur-title")[0]
    une.get_by_role("button", name=re.compile("^Retirer d'« À la une »")).first.click()
    page.wait_for_url("**/curation/hebdo#a-la-une")
    assert first not in texts(page, "#a-la-une .cur-une .cur-title")
    assert violations(page) == []  # with the list of stories dropped
    page.goto(server.url("/digests/hebdo"))
    assert first not in texts(page, ".une-title")
    page.goto(server.url("/curation/hebdo"))
    page.get_by_role("button", name=f"Remettre « {first} » à la une").click()
    page.wait_for_url("**/curation/hebdo#a-la-une")
    assert texts(page, "#a-la-une .cur-une .cur-title")[0] == first
