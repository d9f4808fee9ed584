"""The pages in a real browser: headless Debian Chromium through Playwright, against
a real uvicorn server over a real SQLite file; axe-core (bundled with axe-playwright-python,
injected from disk: no network) for WCAG 2.1 A/AA.

Screenshots of the digest (desktop light and dark, phone) are written to
``$VEILLE_SCREENSHOTS`` (default ``/tmp``) as ``veille-digest*.png``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from veille.models import Selection

from .browser import HOSTILE_TITLE, LiveServer, build_app, violations

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop

pytest.importorskip("playwright")

SHOTS = Path(os.environ.get("VEILLE_SCREENSHOTS", "/tmp"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    app, store = build_app(tmp_path_factory.mktemp("a11y"), many=3)
    with LiveServer(app) as live:
        yield live
    store.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    "path",
    [
        "/",  # the digest
        "/?tag=ia",  # a theme
        "/?q=tablette",  # a search
        "/?q=introuvablissime&period=30d",  # an empty result
        "/feeds",
        "/abonnement",
        "/?period=nimporte",  # the 400 page
        "/tags/ia",  # the 404 page
    ],
)
def test_no_axe_violation(browser: Any, server: LiveServer, path: str, scheme: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(server.url(path))
        assert page.locator("h1").count() == 1
        assert violations(page) == []
    finally:
        context.close()


def test_hostile_feed_renders_inert(page: Any, server: LiveServer) -> None:
    events: list[str] = []
    page.on("console", lambda m: events.append(f"console {m.type}: {m.text}"))

    def on_dialog(dialog: Any) -> None:
        events.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda e: events.append(f"pageerror: {e}"))
    page.goto(server.url("/"))
    page.wait_for_load_state("load")
    # the payload is shown as text …
    assert page.get_by_role("link", name=HOSTILE_TITLE).count() == 1
    # … and nothing of it became markup or ran
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("document.querySelectorAll('img, svg, iframe, object').length") == 0
    on_attributes = page.evaluate(
        """[...document.querySelectorAll('*')].flatMap(e =>
               [...e.attributes].filter(a => a.name.startsWith('on')).map(a => a.name))"""
    )
    assert on_attributes == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.get_by_role("link", name=HOSTILE_TITLE).hover()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert events == []  # no dialog, no error, no CSP report: our own CSS loads under the CSP


def focused(page: Any) -> str:
    return page.evaluate(  # type: ignore[no-any-return]
        """(() => { const e = document.activeElement;
                     return e.id ? '#' + e.id : (e.getAttribute('href') || e.tagName) })()"""
    )


def test_keyboard_reaches_every_filter_and_entry_link(page: Any, server: LiveServer) -> None:
    page.goto(server.url("/"))
    entry_links = page.eval_on_selector_all(
        ".entry-title a", "links => links.map(a => a.getAttribute('href'))"
    )
    controls = ["#f-q", "#f-tag", "#f-feed", "#f-period", "BUTTON"]
    budget = page.evaluate("document.querySelectorAll('a, input, select, button').length") + 5
    reached: list[str] = []
    page.keyboard.press("Tab")
    first = focused(page)
    assert first == "#contenu", "the first Tab lands on the skip link"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0  # visible
    for _ in range(budget):
        reached.append(focused(page))
        if reached[-1] == "BODY":  # past the last control: the focus left the page
            break
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return s.outlineStyle + ' ' + s.outlineWidth })()"
        )
        assert style.startswith("solid") and style != "solid 0px", (reached[-1], style)
        page.keyboard.press("Tab")
    missing = [c for c in controls + entry_links if c not in reached]
    assert missing == []
    assert len(entry_links) >= 6
    # the skip link moves the focus to the main content
    page.goto(server.url("/"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    for _ in range(6):  # the links under the heading (this view's feeds), then the form
        page.keyboard.press("Tab")
        if focused(page) == "#f-q":
            break
    assert focused(page) == "#f-q"
    # the filter form works with the keyboard alone (no JavaScript on the page)
    page.keyboard.type("tablette")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=tablette**")
    assert page.locator(".entry-title").count() == 2


@pytest.mark.parametrize("path", ["/", "/?tag=ia", "/feeds", "/abonnement"])
def test_reflow_at_320px(browser: Any, server: LiveServer, path: str) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(server.url(path))
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()


def test_print_hides_the_filters_and_prints_article_addresses(
    page: Any, server: LiveServer
) -> None:
    page.emulate_media(media="print")
    page.goto(server.url("/"))
    hidden = page.evaluate(
        """['.filter-box', '.page-links', '.site-header nav', '.pager', '.skip-link', '.toc']
             .map(s =>
               [...document.querySelectorAll(s)]
                 .every(e => getComputedStyle(e).display === 'none'))"""
    )
    assert all(hidden)
    link = ".entry-title a[href^='http']"  # an article's address (not a link within the page)
    after = page.evaluate(f'getComputedStyle(document.querySelector("{link}"), "::after").content')
    href = page.evaluate(f'document.querySelector("{link}").getAttribute("href")')
    assert href in after
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_screenshots(browser: Any, server: LiveServer) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shots: dict[str, dict[str, Any]] = {
        "veille-digest.png": {"viewport": {"width": 1280, "height": 900}},
        "veille-digest-dark.png": {
            "viewport": {"width": 1280, "height": 900},
            "color_scheme": "dark",
        },
        "veille-digest-phone.png": {
            "viewport": {"width": 390, "height": 844},
            "device_scale_factor": 2,
            "is_mobile": True,
        },
    }
    for name, options in shots.items():
        context = browser.new_context(**options)
        page = context.new_page()
        page.goto(server.url("/"))
        page.screenshot(path=str(SHOTS / name), full_page=True)
        context.close()
        assert (SHOTS / name).stat().st_size > 10_000


# --- a logged-in reader's pages (their state, forms and own pages) -------------------------------

READER_PASSWORD = "un mot de passe de lecteur"


@pytest.fixture(scope="module")
def reader_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from veille.passwords import hash_password

    from .browser import NOW

    secret = "clé-de-test-assez-longue-pour-signer-les-sessions-a11y"
    app, store = build_app(tmp_path_factory.mktemp("a11y-reader"), many=3, secret_key=secret)
    store.add_account("marie", "lecteur", "Marie Dupont", now=NOW)
    store.set_password("marie", hash_password(READER_PASSWORD), now=NOW)
    first = store.list_entries(Selection(limit=2)).entries
    account = store.account("marie")
    assert account is not None
    store.mark(account.id, [first[0].id], read=True, now=NOW)  # one read, one kept
    store.mark(account.id, [first[1].id], starred=True, now=NOW)
    with LiveServer(app) as live:
        yield live
    store.close()


@pytest.fixture(scope="module")
def reader_login(browser: Any, reader_server: LiveServer) -> Any:
    """The browser state of a logged-in reader (the session cookie), through the form."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(reader_server.url("/connexion?suite=/moi"))
    page.get_by_label("Nom du compte").fill("marie")
    page.get_by_label("Mot de passe").fill(READER_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/moi")
    state = context.storage_state()
    context.close()
    return state


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize(
    "path", ["/", "/?vue=titres", "/?vue=nouveaux", "/?q=tablette", "/moi/gardes", "/moi"]
)
def test_reader_pages_no_axe_violation(
    browser: Any, reader_server: LiveServer, reader_login: Any, path: str, width: int, scheme: str
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, storage_state=reader_login
    )
    page = context.new_page()
    try:
        page.goto(reader_server.url(path))
        assert page.locator("h1").count() == 1
        assert "/connexion" not in page.url  # logged in
        assert violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


def test_reader_print_hides_the_forms_and_marks(
    browser: Any, reader_server: LiveServer, reader_login: Any
) -> None:
    context = browser.new_context(storage_state=reader_login)
    page = context.new_page()
    try:
        page.emulate_media(media="print")
        page.goto(reader_server.url("/"))
        assert page.locator("form.entry-actions").count() > 0
        hidden = page.evaluate(
            """['.reader-bar', '.entry-actions', '.mark-all', '.unread-mark']
                 .map(s => [...document.querySelectorAll(s)]
                   .every(e => getComputedStyle(e).display === 'none'))"""
        )
        assert all(hidden)
    finally:
        context.close()


def test_axe_is_live(page: Any, server: LiveServer) -> None:
    """The checker itself works offline and would see a defect (an image without text)."""
    page.goto(server.url("/abonnement"))
    page.evaluate(
        "document.querySelector('main').append(Object.assign("
        "document.createElement('img'), {src: '/static/favicon.svg'}))"
    )
    assert any(v.startswith("image-alt") for v in violations(page))
