"""The README's screenshots, from the realistic week of ``tests/week.py`` (no test payload),
in headless Debian Chromium:

    .venv/bin/python -m tests.screenshots [FOLDER]     # default: docs/

- ``veille-digest.png``, ``veille-digest-dark.png``, ``veille-digest-mobile.png``: the weekly
  digest at 1280 px and on a 390 px phone (first screens, not whole pages: what a reader sees
  on opening the page);
- ``veille-widget-ent.png`` (1280 px): the widget in the frame of a portal page (an
  illustration, served from another loopback origin allowed by ``VEILLE_FRAME_ANCESTORS``);
  ``veille-widget-mobile.png``: the widget alone at 390 px;
- ``veille-tchap.png``: the week's announcement as a Matrix client shows it — its
  ``formatted_body``, exactly as sent to the homeserver, in a plain chat layout.
- ``veille-curation.png`` and ``veille-curation-mobile.png``: the curation page of the same
  week after an editor logged in, corrected two themes and went through a few entries.
- ``veille-une.png``: « À la une » of the week of ``tests/une_week.py`` (outlets relaying the
  same stories), the block and the start of the first section at 1280 px.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from veille.config.load import load_config
from veille.mailing.issues import next_issue
from veille.models import Selection
from veille.render.notify import issue_notice, matrix_html
from veille.settings import Settings
from veille.store import Store

from .browser import LiveServer, chromium
from .servers import FeedServer, Response
from .une_week import build_une_app
from .week import ADMIN, NOW, build_week_app, write_config

PATH = "/digests/hebdo"
WIDGET = "/digests/quotidien/widget"
CURATION = "/curation/hebdo"
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
SHOTS: dict[str, dict[str, Any]] = {
    "veille-digest.png": {"viewport": {"width": 1280, "height": 1000}},
    "veille-digest-dark.png": {"viewport": {"width": 1280, "height": 1000}, "color_scheme": "dark"},
    "veille-digest-mobile.png": PHONE,
}
PAGE_CSS = """
body { margin: 0; font-family: system-ui, sans-serif; background: #eef1f4; color: #1c1f23; }
header { background: #2b4c7e; color: #fff; padding: 0.9rem 2rem; font-size: 1.2rem; }
main { display: grid; grid-template-columns: 1fr 380px; gap: 1.5rem; padding: 1.5rem 2rem; }
.card { background: #fff; border-radius: 6px; padding: 1rem 1.25rem; min-height: 8rem; }
iframe { width: 100%; height: 620px; border: 1px solid #c8ced6; border-radius: 6px;
         background: #fff; }
.room { max-width: 760px; margin: 1.5rem auto; background: #fff; border-radius: 8px;
        padding: 1rem 1.5rem; line-height: 1.45; }
.room h1 { font-size: 1rem; color: #4d545d; border-bottom: 1px solid #dcd8cf;
           padding-bottom: .5rem; }
.sender { font-weight: 600; color: #0a7c4a; margin: 1rem 0 .25rem; }
.body { color: #2e3338; } .body h4 { margin: .25rem 0; } .body a { color: #0b65c2; }
"""


def portal_page(widget_url: str) -> bytes:
    """A portal page of a school (fictional), the widget in its side column."""
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Espace numérique de travail</title><style>{PAGE_CSS}</style></head><body>
<header>Espace numérique de travail — Collège (exemple)</header>
<main><div><div class="card"><h2>Cahier de textes</h2><p>…</p></div></div>
<aside><iframe title="La veille du jour" src="{widget_url}"></iframe></aside></main>
</body></html>""".encode()


def chat_page(formatted_body: str) -> bytes:
    """A room as a Matrix client lays it out: the sender, then the message's HTML."""
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Salon « Numérique »</title><style>{PAGE_CSS}</style></head><body>
<div class="room"><h1># Numérique — salle des professeurs</h1>
<p class="sender">veille (robot)</p><div class="body">{formatted_body}</div></div>
</body></html>""".encode()


def announcement(folder: Path) -> str:
    """The week's letter announced in a room: ``matrix_html`` of the issue being prepared,
    with a highlight chosen by the editors."""
    path = write_config(folder)
    config = load_config(path)
    store = Store(f"sqlite:///{folder / 'veille.db'}")
    try:
        first = store.list_entries(Selection(limit=1))
        store.set_highlight(
            "hebdo", first.entries[0].id, "À lire avant le conseil pédagogique de jeudi", NOW
        )
        settings = Settings(
            config=path, database_url=store.url, base_url="https://veille.example.fr"
        )
        content, _ = next_issue(store, settings, config, "hebdo", NOW)
    finally:
        store.close()
    return matrix_html(issue_notice(content))


def take(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as portal:
        app, store = build_week_app(Path(tmp), frame_ancestors=f"http://{portal.host_port}")
        try:
            with LiveServer(app) as server, chromium() as browser:
                portal.route("/ent", Response(200, portal_page(server.url(WIDGET)), "text/html"))
                shots: list[tuple[str, str, dict[str, Any]]] = [
                    (name, server.url(PATH), options) for name, options in SHOTS.items()
                ]
                shots += [
                    ("veille-widget-ent.png", portal.url("/ent"), DESKTOP),
                    ("veille-widget-mobile.png", server.url(WIDGET), PHONE),
                ]
                chat = chat_page(announcement(Path(tmp)))
                portal.route("/salon", Response(200, chat, "text/html"))
                shots.append(("veille-tchap.png", portal.url("/salon"), DESKTOP))
                for name, url, options in shots:
                    context = browser.new_context(locale="fr-FR", **options)
                    page = context.new_page()
                    page.goto(url)
                    page.wait_for_load_state("load")
                    page.screenshot(path=str(folder / name))
                    context.close()
                    written.append(folder / name)
                written += curation(browser, server, folder)
                written.append(une(browser, folder))
        finally:
            store.close()
    return written


def une(browser: Any, folder: Path) -> Path:
    """« À la une » of the week in which outlets relay the same stories."""
    with tempfile.TemporaryDirectory() as tmp:
        app, store = build_une_app(Path(tmp))
        try:
            with LiveServer(app) as server:
                context = browser.new_context(locale="fr-FR", **DESKTOP)
                page = context.new_page()
                page.goto(server.url(PATH))
                top = page.locator(".une").bounding_box()
                assert top is not None
                clip = {"x": 0, "y": top["y"] - 16, "width": 1280, "height": top["height"] + 150}
                page.screenshot(path=str(folder / "veille-une.png"), full_page=True, clip=clip)
                context.close()
        finally:
            store.close()
    return folder / "veille-une.png"


def log_in(page: Any, server: LiveServer, name: str = "Maud") -> None:
    """Log in to curation through its form (the former address, which leads to
    /connexion?suite=/curation), as an editor does before any account exists."""
    page.goto(server.url("/curation/connexion"))
    page.get_by_label("Nom du compte").fill(name)  # with the admin token: any name
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
