"""Read scenarios on a store: search, filtered lists, ``GET /``, an output feed, retag.

Requests go through the real FastAPI app (``web.create_app(settings, store, config)``) driven
in-process by a minimal ASGI client: routing, validation, the selection, rendering and
gzip are measured; the HTTP server (uvicorn) and the socket are not. The app's page clock
(``app.state.clock``) is set to the store's anchor so that "the last day" has entries.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from veille.ingest.pipeline import retag_all
from veille.rules.ruleset import RuleSet
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app

from .child import bench_config
from .measure import Stat

# (label, query): common and rare terms, phrases, prefix, exclusion.
SEARCHES = [
    ("mot courant « numérique »", "numérique"),
    ("mot courant « élèves »", "élèves"),
    ("mot moyen « tablettes »", "tablettes"),
    ("mot rare « Quizinière »", "Quizinière"),
    ("mot très rare « sérendipité »", "sérendipité"),
    ("expression « classe inversée »", '"classe inversée"'),
    ("expression « intelligence artificielle »", '"intelligence artificielle"'),
    ("préfixe « ludifi* »", "ludifi*"),
    ("exclusion « évaluation -Kahoot »", "évaluation -Kahoot"),
]
# (label, query string) of GET /api/v1/entries
LISTS = [
    ("sans filtre", {}),
    ("tag=evaluation", {"tag": "evaluation"}),
    ("tag=classe-inversee (rare)", {"tag": "classe-inversee"}),
    (
        "tag=ia&tag=rgpd&exclude_tag=evaluation",
        {"tag": ["ia", "rgpd"], "exclude_tag": "evaluation"},
    ),
    ("feed=s0042", {"feed": "s0042"}),
    ("tag=ia&since=J-7", {"tag": "ia", "since": "@-7d"}),
    ("collapse=1", {"collapse": "1"}),
    ("page 3 (cursor)", {"_pages": 3}),
]


class Client:
    """Calls an ASGI app in-process; one event loop for the whole scenario."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.errors: list[str] = []

    async def get(self, path: str, query: str = "") -> tuple[int, bytes, dict[str, str]]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8000"), (b"accept-encoding", b"gzip")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        status = 0
        headers: dict[str, str] = {}
        body = bytearray()
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.update({k.decode(): v.decode() for k, v in message["headers"]})
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        try:
            await self.app(scope, receive, send)
        except Exception as e:  # a bug in a route: report a 500 and go on measuring
            self.errors.append(f"{path}?{query}: {type(e).__name__}: {e}")
            status = status or 500
        return status, bytes(body), headers


def _query(params: dict[str, Any], anchor: datetime) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v.startswith("@-") and v.endswith("d"):
                v = (anchor - timedelta(days=int(v[2:-1]))).isoformat()
            pairs.append((key, v))
    return urlencode(pairs)


class App:
    """The app over one store, with the shipped taxonomy and digests."""

    def __init__(self, db: Path | str, feeds: int, anchor: datetime) -> None:
        """``db``: a SQLite file, or a database URL (PostgreSQL)."""
        url = db if isinstance(db, str) else f"sqlite:///{db}"
        self.store = Store(url)
        self.config = bench_config([f"https://site-{f:04d}.exemple.fr/feed/" for f in range(feeds)])
        self.anchor = anchor
        settings = Settings(database_url=url, base_url="http://127.0.0.1:8000")
        app = create_app(settings, store=self.store, config=self.config)
        app.state.clock = lambda: anchor + timedelta(hours=1)
        self.app = app
        self.client = Client(app)

    def close(self) -> None:
        self.store.close()

    def time(
        self, path: str, query: str, runs: int, warmup: int = 2, budget: float = 8.0
    ) -> tuple[Stat, int, int]:
        """(timings, status, body bytes) of ``runs`` sequential GETs (fewer, but at least 3,
        once ``budget`` seconds are spent)."""

        async def go() -> tuple[Stat, int, int]:
            status, body = 0, b""
            async with self.app.router.lifespan_context(self.app):  # as a server starts it
                for _ in range(warmup):
                    status, body, _ = await self.client.get(path, query)
                times: list[float] = []
                while len(times) < runs and (sum(times) < budget or len(times) < 3):
                    started = time.perf_counter()
                    status, body, _ = await self.client.get(path, query)
                    times.append(time.perf_counter() - started)
            return Stat(tuple(times)), status, len(body)

        return asyncio.run(go())

    def cursor_after(self, pages: int) -> str:
        """The query string of page ``pages`` of the unfiltered list."""
        import gzip
        import json

        async def go() -> str:
            query = ""
            for _ in range(pages - 1):
                _, body, headers = await self.client.get("/api/v1/entries", query)
                if headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                query = urlencode({"cursor": json.loads(body)["next_cursor"]})
            return query

        return asyncio.run(go())

    def search(self, runs: int) -> list[tuple[str, Stat, int, int]]:
        rows = []
        for label, q in SEARCHES:
            stat, status, size = self.time("/api/v1/entries", urlencode({"q": q}), runs)
            rows.append((label, stat, status, size))
        return rows

    def lists(self, runs: int) -> list[tuple[str, Stat, int, int]]:
        rows = []
        for label, params in LISTS:
            if "_pages" in params:
                query = self.cursor_after(params["_pages"])
            else:
                query = _query(params, self.anchor)
            stat, status, size = self.time("/api/v1/entries", query, runs)
            rows.append((label, stat, status, size))
        return rows

    def pages(self, runs: int) -> list[tuple[str, Stat, int, int]]:
        rows = []
        for label, path, query in [
            ("GET / (digest du jour)", "/", ""),
            ("GET /digests/hebdo", "/digests/hebdo", ""),
            ("GET /feed.rss?tag=evaluation (50)", "/feed.rss", "tag=evaluation"),
            ("GET /feed.rss?q=numérique (50)", "/feed.rss", urlencode({"q": "numérique"})),
            ("GET /tags/ia.atom (50)", "/tags/ia.atom", ""),
        ]:
            stat, status, size = self.time(path, query, runs)
            rows.append((label, stat, status, size))
        return rows


def retag(db: Path, feeds: int) -> tuple[float, int, int]:
    """``pipeline.retag_all`` (what ``veille retag`` and a changed feeds.yaml run: tagging in
    2 processes, writes on this thread) with the RuleSet of the shipped feeds.yaml:
    (seconds, seen, changed)."""
    store = Store(f"sqlite:///{db}")
    rules = RuleSet.from_config(bench_config([f"x{f}" for f in range(feeds)]))
    started = time.perf_counter()
    seen, changed = retag_all(store, rules)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, seen, changed


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result
