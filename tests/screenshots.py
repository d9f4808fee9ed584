"""The README's screenshots, from the realistic week of ``tests/week.py`` (no test payload):
the weekly digest at 1280 px and on a 390 px phone, in headless Debian Chromium.

    .venv/bin/python -m tests.screenshots [FOLDER]     # default: docs/

Writes ``veille-digest.png``, ``veille-digest-dark.png`` and ``veille-digest-mobile.png``
(first screens, not whole pages: what a reader sees on opening the page), then
``veille-curation.png`` and ``veille-curation-mobile.png``: the curation page of the same
week after an editor logged in, corrected two themes and went through a few entries.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from .browser import LiveServer, chromium
from .week import ADMIN, build_week_app

PATH = "/digests/hebdo"
CURATION = "/curation/hebdo"
SHOTS: dict[str, dict[str, Any]] = {
    "veille-digest.png": {"viewport": {"width": 1280, "height": 1000}},
    "veille-digest-dark.png": {"viewport": {"width": 1280, "height": 1000}, "color_scheme": "dark"},
    "veille-digest-mobile.png": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


def take(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        app, store = build_week_app(Path(tmp))
        try:
            with LiveServer(app) as server, chromium() as browser:
                for name, options in SHOTS.items():
                    context = browser.new_context(locale="fr-FR", **options)
                    page = context.new_page()
                    page.goto(server.url(PATH))
                    page.screenshot(path=str(folder / name))
                    context.close()
                    written.append(folder / name)
                written += curation(browser, server, folder)
        finally:
            store.close()
    return written


def log_in(page: Any, server: LiveServer, name: str = "Maud") -> None:
    """Log in to curation through its form, as an editor does."""
    page.goto(server.url("/curation/connexion"))
    page.get_by_label("Votre nom").fill(name)
    page.get_by_label("Mot de passe").fill(ADMIN)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/curation")


def curation(browser: Any, server: LiveServer, folder: Path) -> list[Path]:
    """The curation page at 1280 and 390 px, once an editor has used it a little."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    log_in(page, server)
    page.goto(server.url(CURATION))
    rows = page.locator(".cur-section .cur-row")
    rows.nth(0).get_by_role("button", name="Vu").click()
    page.locator(".cur-section .cur-row").nth(1).get_by_role("button", name="Vu").click()
    page.locator(".cur-section .cur-row").nth(2).get_by_role("combobox").select_option(
        label="Formation des enseignants"
    )
    page.locator(".cur-section .cur-row").nth(2).get_by_role("button", name="Ajouter").click()
    page.goto(server.url(CURATION))
    page.screenshot(path=str(folder / "veille-curation.png"))
    phone = browser.new_context(
        locale="fr-FR", storage_state=context.storage_state(), **SHOTS["veille-digest-mobile.png"]
    )
    small = phone.new_page()
    small.goto(server.url(CURATION))
    small.screenshot(path=str(folder / "veille-curation-mobile.png"))
    phone.close()
    context.close()
    return [folder / "veille-curation.png", folder / "veille-curation-mobile.png"]


if __name__ == "__main__":
    for path in take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)
