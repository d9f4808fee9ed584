"""The README's screenshots, from the realistic week of ``tests/week.py`` (no test payload):
the weekly digest at 1280 px and on a 390 px phone, in headless Debian Chromium.

    .venv/bin/python -m tests.screenshots [FOLDER]     # default: docs/

Writes ``veille-digest.png``, ``veille-digest-dark.png`` and ``veille-digest-mobile.png``
(first screens, not whole pages: what a reader sees on opening the page).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from .browser import LiveServer, chromium
from .week import build_week_app

PATH = "/digests/hebdo"
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
        finally:
            store.close()
    return written


if __name__ == "__main__":
    for path in take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)
