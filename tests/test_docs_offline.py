"""/docs loads nothing from another host: every asset is served here, and a real Chromium
whose every request off 127.0.0.1 is refused still renders it. /redoc (whose bundle always
fetches a logo from its vendor's CDN) redirects there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from .browser import LiveServer, build_app

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    app, store = build_app(tmp_path_factory.mktemp("docs"))
    yield app
    store.close()


def test_every_asset_is_same_origin_and_served(app: Any) -> None:
    with TestClient(app) as c:
        redoc = c.get("/redoc", follow_redirects=False)
        assert redoc.status_code == 308 and redoc.headers["location"] == "/docs"
        r = c.get("/docs")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "http" not in csp and "*" not in csp
        refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        refs += re.findall(r"url: '([^']+)'", r.text)
        assert refs
        for ref in refs:
            assert ref.startswith("/") and not ref.startswith("//"), ref
            asset = c.get(ref)
            assert asset.status_code == 200, ref
            assert asset.content, ref
        assert "fonts.googleapis" not in r.text and "cdn." not in r.text
        assert c.get("/docs/assets/../pyproject.toml").status_code == 404


def test_unknown_asset_is_404(app: Any) -> None:
    with TestClient(app) as c:
        assert c.get("/docs/assets/evil.js").status_code == 404


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_render_offline_in_chromium(app: Any, browser: Any, path: str) -> None:
    with LiveServer(app) as server:
        context = browser.new_context()
        page = context.new_page()
        origin = urlsplit(server.url("/")).netloc
        requested: list[str] = []
        refused: list[str] = []
        problems: list[str] = []

        def route(r: Any) -> None:
            url = r.request.url
            requested.append(url)
            if urlsplit(url).netloc == origin or url.startswith(("data:", "blob:")):
                r.continue_()
            else:
                refused.append(url)
                r.abort()

        context.route("**/*", route)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"échec {r.url}"))
        page.goto(server.url(path), wait_until="networkidle", timeout=30_000)
        page.locator("#operations-api-list_entries_api_v1_entries_get").wait_for(timeout=30_000)
        assert urlsplit(page.url).path == "/docs"
        context.close()
    assert refused == []
    assert any(u.endswith("/openapi.json") for u in requested)
    assert problems == [], problems
