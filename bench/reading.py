"""A logged-in reader's pages at scale: what their reading state costs ``GET /``.

On a copy of the cached store of ``entries`` articles (``bigstore.get_store``), an account
created three days before the store's anchor (its horizon: ten days back) that read 200
articles of the week and kept 20, logged in through the real form, and an anonymous visitor
ask for the same pages in turn (one anonymous request, one reader's, and again: the
machine's load falls on both alike). Printed: median / p95 of each, and the median of the
paired differences; then « nouveaux depuis ma dernière visite » (the last visit ended 20 h
before) and « Mes articles gardés ». In process, as ``bench/queries.py`` (no uvicorn)::

    python -c 'from bench import reading; reading.measure(100_000, 40)'
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from veille.models import Selection
from veille.passwords import hash_password
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app

from . import bigstore
from .child import bench_config
from .measure import Stat, fmt_stat
from .queries import Client

PASSWORD = "mot de passe du banc d'essai"
SECRET = "clé du banc d'essai, assez longue pour signer les sessions"


class ReaderClient(Client):
    """``Client`` with a session cookie on every request."""

    def __init__(self, app: Any, cookie: str) -> None:
        async def with_cookie(scope: dict[str, Any], receive: Any, send: Any) -> None:
            scope["headers"] = [*scope["headers"], (b"cookie", cookie.encode())]
            await app(scope, receive, send)

        super().__init__(with_cookie)


def measure(entries: int, runs: int, log: Any = print) -> None:
    path, _ = bigstore.get_store(entries, log)
    with tempfile.TemporaryDirectory(prefix="veille-reading-") as folder:
        db = Path(folder) / "copy.db"
        shutil.copyfile(path, db)  # the scenario writes (an account, its state, visits)
        store = Store(f"sqlite:///{db}")
        try:
            store.migrate()
            _measure(store, runs, log)
        finally:
            store.close()


def _measure(store: Store, runs: int, log: Any) -> None:
    now = bigstore.STORE_ANCHOR + timedelta(hours=1)
    feeds = len(store.feed_titles())
    account = store.add_account("marie", "lecteur", "Marie", now - timedelta(days=3))
    store.set_password("marie", hash_password(PASSWORD), now)
    week = store.list_entries(Selection(since=now - timedelta(days=7), limit=500)).entries
    store.mark(account.id, [e.id for e in week[::2]][:200], read=True, now=now)
    store.mark(account.id, [e.id for e in week[1::25]][:20], starred=True, now=now)
    store.record_visit(account.id, now - timedelta(hours=20))  # the last visit
    settings = Settings(database_url=store.url, base_url="http://127.0.0.1:8000", secret_key=SECRET)
    config = bench_config([f"https://site-{f:04d}.exemple.fr/feed/" for f in range(feeds)])
    app = create_app(settings, store=store, config=config)
    app.state.clock = lambda: now
    with TestClient(app) as client:  # the login form, as a browser fills it
        form = client.get("/connexion").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        data = {"csrf": csrf[1], "name": "marie", "password": PASSWORD}
        assert client.post("/connexion", data=data, follow_redirects=False).status_code == 303
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    anonymous, reader = Client(app), ReaderClient(app, cookie)

    async def timed(
        pairs: list[tuple[str, Client]], path: str, query: str = ""
    ) -> dict[str, list[float]]:
        times: dict[str, list[float]] = {name: [] for name, _ in pairs}
        async with app.router.lifespan_context(app):
            for _, c in pairs * 2:  # warm-up
                await c.get(path, query)
            for _ in range(runs):
                for name, c in pairs:
                    started = time.perf_counter()
                    status, _, _ = await c.get(path, query)
                    times[name].append(time.perf_counter() - started)
                    assert status == 200, (name, path, status)
        return times

    for path in ("/", "/digests/hebdo"):
        t = asyncio.run(timed([("anonyme", anonymous), ("lectrice", reader)], path))
        gaps = [(r - a) * 1000 for a, r in zip(t["anonyme"], t["lectrice"], strict=True)]
        anon, mine = (fmt_stat(Stat(tuple(t[k]))) for k in ("anonyme", "lectrice"))
        log(
            f"GET {path} : anonyme {anon}, lectrice {mine}, "
            f"écart médian par paire {statistics.median(gaps):+.1f} ms"
        )
    for label, path, query in (
        ("GET /?vue=nouveaux", "/", "vue=nouveaux"),
        ("GET /moi/gardes", "/moi/gardes", ""),
    ):
        t = asyncio.run(timed([("lectrice", reader)], path, query))
        log(f"{label} : lectrice {fmt_stat(Stat(tuple(t['lectrice'])))}")
