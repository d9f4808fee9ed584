"""Shared by the page tests (in-process and in a real browser): a feeds.yaml with themes and
digests, a store filled through the Store API at a fixed clock, a live server and Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port, wait_until
from veille.models import FeedSpec, ParsedEntry, Validators
from veille.rules.tagging import TagReason
from veille.store import Store

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)

# Two themes and the daily digest, the end of a feeds.yaml: shared with tests/test_cli.py.
THEMES_AND_DAILY = """\
  ia:
    label: Intelligence artificielle
    match: ["IA"]
  tablettes:
    label: Tablettes
    match: ["tablette*"]
digests:
  quotidien:
    title: La veille du jour
    window: 1d
"""

FEEDS_YAML = """\
feeds:
  - id: cafe
    url: https://cafe.example/feed
    title: Le Café pédagogique
    tags: [actualite]
  - id: ludo
    url: https://ludo.example/feed
    title: Ludomag
  - id: vieux
    url: https://vieux.example/feed
    title: Un blog endormi
  - id: piege
    url: https://piege.example/feed
    title: Source piégée
tags:
  evaluation:
    label: Évaluation
    match: ["évaluation"]
""" + (
    THEMES_AND_DAILY
    + """\
  hebdo:
    title: La semaine du numérique éducatif
    window: 7d
"""
)

# (key, feed, title, hours before NOW, tags); tags are given as stored by the tagger.
ARTICLES = [
    ("a1", "cafe", "L'IA générative au lycée : retour d'expérience", 1, ("actualite", "ia")),
    ("a2", "ludo", "Des tablettes pour l'évaluation en classe", 2, ("evaluation", "tablettes")),
    ("a3", "cafe", "Une année de tablettes au collège", 3, ("actualite", "tablettes")),
    ("a4", "ludo", "Le conseil pédagogique se réunit", 4, ()),
    ("a5", "cafe", "Évaluer avec l'IA ? Prudence", 5, ("ia", "evaluation")),
    ("a6", "ludo", "Le salon Educatech ouvre ses portes", 30, ()),  # outside 1 day
]
SUMMARY = (
    "<p>Des enseignants racontent <strong>comment</strong> ils ont travaillé cette année "
    "avec leurs élèves de seconde, avec des exemples concrets, des erreurs à éviter, "
    "des conseils pratiques pour démarrer et une bibliographie commentée pour aller plus "
    "loin dans la réflexion collective de l'équipe pédagogique.</p>"
)
HOSTILE_TITLE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'
HOSTILE_SUMMARY = (
    '<p onclick="window.__pwned=3">Texte</p><script>window.__pwned=4</script>'
    '<svg onload="window.__pwned=5"></svg>"><img src=x onerror=alert(1)>'
)


def write_config(tmp: Path) -> Path:
    path = tmp / "feeds.yaml"
    path.write_text(FEEDS_YAML, encoding="utf-8")
    return path


def fill_store(store: Store, *, many: int = 0, hostile: bool = True) -> None:
    """The articles above, ``many`` extra untagged ones over the last week (pagination), a
    failing source, a silent one (last article 45 days ago) and, optionally, a hostile one."""
    store.sync_feeds(
        [
            FeedSpec("cafe", "https://cafe.example/feed", title="Le Café pédagogique"),
            FeedSpec("ludo", "https://ludo.example/feed", title="Ludomag"),
            FeedSpec("vieux", "https://vieux.example/feed", title="Un blog endormi"),
            FeedSpec("piege", "https://piege.example/feed", title="Source piégée"),
        ]
    )
    tags = {key: t for key, _, _, _, t in ARTICLES}
    for feed in ("cafe", "ludo"):
        entries = [
            ParsedEntry(
                key=key,
                guid=key,
                url=f"https://{feed}.example/articles/{key}",
                title=title,
                summary_html=SUMMARY,
                published=NOW - timedelta(hours=hours),
            )
            for key, f, title, hours, _ in ARTICLES
            if f == feed
        ]
        if feed == "ludo":
            entries += [
                ParsedEntry(
                    key=f"m{i}",
                    guid=f"m{i}",
                    url=f"https://ludo.example/archives/{i}",
                    title=f"Brève numéro {i}",
                    summary_html="<p>Une brève.</p>",
                    published=NOW - timedelta(days=1, hours=1 + i),
                )
                for i in range(many)
            ]
        store.save_entries(
            feed,
            entries,
            now=NOW,
            tagger=lambda e: {t: TagReason("title", t) for t in tags.get(e.key, ())},
        )
        store.record_success(
            feed, now=NOW, next_fetch_at=NOW + timedelta(minutes=30), validators=Validators()
        )
    store.save_entries(
        "vieux",
        [
            ParsedEntry(
                key="old",
                guid="old",
                url="https://vieux.example/1",
                title="Un vieil article",
                published=NOW - timedelta(days=45),
            )
        ],
        now=NOW,
    )
    store.record_success(
        "vieux", now=NOW, next_fetch_at=NOW + timedelta(hours=1), validators=Validators()
    )
    if hostile:
        store.save_entries(
            "piege",
            [
                ParsedEntry(
                    key="evil",
                    guid="evil",
                    url="https://piege.example/evil",
                    title=HOSTILE_TITLE,
                    summary_html=HOSTILE_SUMMARY,
                    published=NOW - timedelta(hours=6),
                )
            ],
            now=NOW,
        )
    store.record_error(
        "piege",
        now=NOW,
        message="réponse HTTP 503 (Service Unavailable)",
        next_fetch_at=NOW + timedelta(hours=1),
    )


# --- a live server and a browser ---------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class LiveServer:
    """The app served by uvicorn on 127.0.0.1 (a free port) in a daemon thread; ``config``:
    uvicorn's configuration of that app (e.g. ``web.server.server_config``, as ``veille serve``
    runs it) instead of uvicorn's defaults."""

    def __init__(self, app: Any, config: Any = None) -> None:
        import uvicorn

        self.port = free_port()
        if config is None:
            config = uvicorn.Config(app, log_level="warning")
        config.host, config.port = "127.0.0.1", self.port
        self.config = config
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), 10, "uvicorn started")
        assert self.server.started, "le serveur de test n'a pas démarré"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def build_app(
    tmp: Path, *, many: int = 0, store: Store | None = None, **settings: Any
) -> tuple[Any, Store]:
    """The app over a fresh SQLite file (or ``store``, migrated and empty) filled by
    ``fill_store``, its clock fixed at NOW (``settings``: more of its settings, e.g.
    ``frame_ancestors``)."""
    from veille.config.load import load_config
    from veille.settings import Settings
    from veille.web import create_app

    config = write_config(tmp)
    if store is None:
        store = Store(f"sqlite:///{tmp / 'veille.db'}")
        store.migrate()
    fill_store(store, many=many)
    app = create_app(
        Settings(config=config, database_url=store.url, **settings), store, load_config(config)
    )
    app.state.config = load_config(config)
    app.state.clock = lambda: NOW
    return app, store


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} absent : installez le paquet Debian chromium (make test)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page (bundled with axe-playwright-python,
    injected from disk: no network). Every rule runs; only the violations are detailed
    (``resultTypes``): the passes' nodes, never read, made the answer ~4 times larger."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]}
    result = Axe().run(page, options=options)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result.response["violations"]
    ]
