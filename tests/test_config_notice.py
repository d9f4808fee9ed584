"""A refused edit of feeds.yaml is told on /feeds and /healthz (through HTTP, a real file; and
in headless Chromium against a real uvicorn server)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from veille.config.live import LiveConfig
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app

from .browser import LiveServer, violations

GOOD = """\
feeds:
  - id: cafe
    url: https://cafe.example/feed
    title: Le Café
    every: 1h
digests:
  quotidien:
    title: La veille du jour
"""
BROKEN = (
    GOOD
    + """\
  hebdo:
    title: La semaine
    window: 7 jours
"""
)


def _touch(path: Path, text: str, ahead: float) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (time.time() + ahead, time.time() + ahead))  # a new mtime, whatever the FS


@contextmanager
def live_app(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """The app on a real feeds.yaml (GOOD) read again at each request; (app, its path)."""
    path = tmp_path / "feeds.yaml"
    path.write_text(GOOD, encoding="utf-8")
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    store.migrate()
    live = LiveConfig.load(path, interval=0)
    try:
        yield create_app(Settings(config=path, database_url=store.url), store, live), path
    finally:
        store.close()


def test_refused_edit_on_feeds_page_and_healthz(tmp_path: Path) -> None:
    with live_app(tmp_path) as (app, path), TestClient(app) as c:
        health = c.get("/healthz")
        assert health.status_code == 200 and health.json()["config"] == {"status": "ok"}
        assert "refusée" not in c.get("/feeds").text

        _touch(path, BROKEN, 5)
        health = c.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        config = health.json()["config"]
        assert config["status"] == "refused"
        assert config["file"] == str(path) and config["line"] == 11
        assert "window" in config["reason"] and config["error"].startswith(f"{path}:11: ")
        assert config["refused_at"].endswith("+00:00")
        assert config["in_force_since"] <= config["refused_at"]

        page = " ".join(c.get("/feeds").text.split())
        assert "Modification de feeds.yaml refusée" in page
        assert "la configuration précédente reste en vigueur" in page
        assert f"{path}, ligne 11 : " in page and "window" in page
        # the previous configuration is the one in force: no « hebdo » digest
        assert c.get("/digests/hebdo").status_code == 404
        assert c.get("/digests/quotidien").status_code == 200

        _touch(path, BROKEN.replace("7 jours", "7d"), 10)
        assert c.get("/healthz").json()["config"] == {"status": "ok"}
        assert "refusée" not in c.get("/feeds").text
        assert c.get("/digests/hebdo").status_code == 200


@pytest.mark.slow
def test_refused_edit_seen_in_chromium(tmp_path: Path, browser: Any) -> None:
    """What the referent sees: /feeds in a real browser, served by uvicorn, announces the
    refused edit as an alert, and the site still serves the configuration in force."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        with live_app(tmp_path) as (app, path), LiveServer(app) as server:
            page.goto(server.url("/feeds"))
            assert page.get_by_role("alert").count() == 0
            _touch(path, BROKEN, 5)
            page.goto(server.url("/feeds"))
            alert = page.get_by_role("alert")
            assert alert.is_visible()
            text = " ".join(alert.inner_text().split())
            assert "Modification de feeds.yaml refusée" in text
            assert "la configuration précédente reste en vigueur" in text
            assert f"{path}, ligne 11 : " in text and "window" in text
            assert violations(page) == []
            health = page.request.get(server.url("/healthz"))
            assert health.status == 200
            assert health.json()["config"]["status"] == "refused"
            assert page.request.get(server.url("/digests/hebdo")).status == 404

            _touch(path, BROKEN.replace("7 jours", "7d"), 10)
            page.goto(server.url("/feeds"))
            assert page.get_by_role("alert").count() == 0
            assert page.request.get(server.url("/healthz")).json()["config"] == {"status": "ok"}
    finally:
        context.close()
