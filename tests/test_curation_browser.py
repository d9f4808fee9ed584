"""The curation page in headless Chromium, on the realistic week of ``tests/week.py``: no
axe-core violation (WCAG 2.1 A/AA) at 1280 and 390 px in both colour schemes, every control
of a row reachable and usable with the keyboard alone, no horizontal scrolling on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from veille.store import Store

from .browser import LiveServer, violations
from .screenshots import CURATION, SHOTS, log_in
from .week import build_week_app

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop

PHONE = SHOTS["veille-digest-mobile.png"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Store]]:
    app, store = build_week_app(tmp_path_factory.mktemp("curation"))
    with LiveServer(app) as live:
        yield live, store
    store.close()


def editor_page(browser: Any, server: LiveServer, **options: Any) -> Any:
    """A logged-in editor's page (its context closes with the test's ``close``)."""
    context = browser.new_context(locale="fr-FR", **options)
    page = context.new_page()
    log_in(page, server)
    return page


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_axe_violation(
    browser: Any, served: tuple[LiveServer, Store], size: str, scheme: str
) -> None:
    server, _ = served
    options = PHONE if size == "phone" else {"viewport": {"width": 1280, "height": 1000}}
    page = editor_page(browser, server, color_scheme=scheme, **options)
    try:
        for path in (CURATION, CURATION + "?revoir=1&tag=ia", "/curation/connexion"):
            page.goto(server.url(path))
            if path == CURATION:  # the note's form too
                page.locator("details.cur-pick").first.evaluate("d => d.open = true")
            assert page.locator("h1").count() == 1
            assert violations(page) == [], path
        if size == "phone":  # usable at 390 px: nothing wider than the screen
            page.goto(server.url(CURATION))
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        page.context.close()


def focus_on(page: Any, name: str, limit: int = 400) -> None:
    """Press Tab until the focused element's text contains ``name`` (``#id``: its id is)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate("() => [document.activeElement.id, document.activeElement.innerText]")
        if found[0] == name.removeprefix("#") if name.startswith("#") else name in found[1]:
            return
    raise AssertionError(f"« {name} » jamais atteint au clavier")


def test_a_row_with_the_keyboard_alone(browser: Any, served: tuple[LiveServer, Store]) -> None:
    server, store = served
    page = editor_page(browser, server, viewport={"width": 1280, "height": 1000})
    try:
        page.goto(server.url(CURATION + "?tag=ia"))
        first = page.locator(".cur-section .cur-row").first
        entry = first.get_attribute("id").removeprefix("e-")
        # Remove its first theme (« Intelligence artificielle », first in the taxonomy): Tab
        # to the chip's button, Enter.
        focus_on(page, "Retirer le thème Intelligence artificielle")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/curation/hebdo?tag=ia#e-{entry}")
        assert [(c.entry_id, c.tag, c.added, c.editor) for c in store.corrections([entry])] == [
            (entry, "ia", False, "Maud")
        ]
        assert page.locator(f"#e-{entry}").count() == 0  # no longer in that theme
        # Add a theme: Tab to the row's list, choose with the arrows, Tab to « Ajouter », Enter.
        page.goto(server.url(CURATION))
        row = page.locator(f"#e-{entry}")
        focus_on(page, f"#add-{entry}")
        page.keyboard.press("ArrowDown")
        chosen = row.locator("select").input_value()
        page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert (entry, chosen, True) in [
            (c.entry_id, c.tag, c.added) for c in store.corrections([entry])
        ]
        # Highlight with a note: open the summary, type, Enter in the field submits it.
        page.goto(server.url(CURATION))
        focus_on(page, "Coup de cœur")
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        page.keyboard.type("À lire avant lundi")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "À lire avant lundi" in [h.note for h in store.highlights("hebdo")]
        assert page.locator("#h-coups").is_visible()
    finally:
        page.context.close()
