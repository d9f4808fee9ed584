"""The widget in a real browser (headless Debian Chromium): framed by a configured portal,
refused to another one, readable by a portal's script through CORS (curation never), no
axe-core violation at 390 and 1280 px, light and dark. Portals are loopback servers of
their own origin (another port)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser import LiveServer, build_app, violations
from .servers import FeedServer, Response

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop

pytest.importorskip("playwright")

SHOTS = Path(os.environ.get("VEILLE_SCREENSHOTS", "/tmp"))
ADMIN = "jeton-admin-des-tests-du-navigateur"
WIDGET = "/digests/quotidien/widget"


def portal_page(veille: str) -> bytes:
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>ENT du collège</title></head><body><main><h1>ENT du collège</h1>
<iframe title="La veille du jour" src="{veille}{WIDGET}" width="360" height="600"></iframe>
</main></body></html>""".encode()


@pytest.fixture(scope="module")
def portals() -> Iterator[tuple[FeedServer, FeedServer]]:
    with FeedServer() as allowed, FeedServer() as other:
        yield allowed, other


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, portals: tuple[FeedServer, FeedServer]
) -> Iterator[LiveServer]:
    allowed, _ = portals
    app, store = build_app(
        tmp_path_factory.mktemp("widget"),
        many=3,
        admin_token=ADMIN,
        frame_ancestors=f"http://{allowed.host_port}",
    )
    with LiveServer(app) as live:
        for portal in portals:
            portal.route("/ent", Response(200, portal_page(live.url("")), "text/html"))
        yield live
    store.close()


def framed(page: Any, portal: FeedServer) -> tuple[str, str | None]:
    """The address of the portal's frame and the widget's heading in it (None: none)."""
    page.goto(portal.url("/ent"))
    page.wait_for_load_state("load")
    frame = next(f for f in page.frames if f is not page.main_frame)
    heading = frame.locator("h1")
    return frame.url, (str(heading.inner_text()) if heading.count() else None)


def test_framed_by_the_configured_portal_only(
    browser: Any, server: LiveServer, portals: tuple[FeedServer, FeedServer]
) -> None:
    allowed, other = portals
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        assert framed(page, allowed) == (server.url(WIDGET), "La veille du jour")
        # Chromium refuses the document (frame-ancestors) and shows its error page instead.
        url, heading = framed(page, other)
        assert url == "chrome-error://chromewebdata/" and heading != "La veille du jour"
    finally:
        context.close()


def test_a_portal_script_reads_public_data_never_curation(
    browser: Any, server: LiveServer, portals: tuple[FeedServer, FeedServer]
) -> None:
    context = browser.new_context()
    page = context.new_page()
    read = """async (url) => {
        try { const r = await fetch(url); return r.status + " " + (await r.text()).length; }
        catch (e) { return "refusé"; }
    }"""
    try:
        page.goto(portals[1].url("/ent"))  # any origin may read
        entries = page.evaluate(read, server.url("/api/v1/entries?limit=3"))
        assert entries.startswith("200 ")
        assert page.evaluate(read, server.url("/digests/quotidien.rss")).startswith("200 ")
        assert page.evaluate(read, server.url("/api/v1/digests/quotidien/curation")) == "refusé"
        assert page.evaluate(read, server.url("/digests/quotidien")) == "refusé"
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_widget_has_no_axe_violation(
    browser: Any, server: LiveServer, width: int, scheme: str
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, locale="fr-FR"
    )
    page = context.new_page()
    try:
        page.goto(server.url(WIDGET))
        assert page.locator("h1").count() == 1
        assert violations(page) == []
        # Nothing wider than the frame: no horizontal scroll in a narrow portal column.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"veille-widget-{width}-{scheme}.png"))
    finally:
        context.close()
