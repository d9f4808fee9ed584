"""The Google Reader API (``/api/greader``) on a large store read by 50 accounts.

The cached store (``bigstore``) is copied, then made what a store of readers is:

1. arrival times as a store filled over time has them: ``first_seen_at`` = the publication
   date (the cache saved every entry at its build time, which would make every entry
   arrive at once — after every reader's horizon: all unread for all);
2. ``USERS`` accounts (``lecteurNN``) with an API password; their reading horizons spread
   from 7 to 16 days back (accounts made 0 to 9 days ago, then each reads on its own), and
   each one's states written through ``Store.mark``: ``READ_EACH`` recent entries read one
   by one (with their stories), ``KEPT_EACH`` older ones kept unread, ``STARRED_EACH``
   starred.

Each request then goes through the real app in-process (``queries.Client``: routing, the
token check, the selection, JSON, gzip), the n-th request as the n-th account in turn, its
token (from ``ClientLogin``) as ``T``. On PostgreSQL too (``--postgres``): the same
prepared store bulk-loaded by ``bench/postgres.py`` into its own database.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from veille.models import ParsedEntry, Selection
from veille.passwords import hash_password
from veille.rules.tagging import TagReason
from veille.store import Store
from veille.store.tables import arrival_day_t, entry_t

from . import postgres, queries
from .measure import Stat

USERS = 50
READ_EACH = 300
KEPT_EACH = 20
STARRED_EACH = 30
PASSWORD = "mot-de-passe-api-du-banc"
SECRET = "une-clé-secrète-de-banc-assez-longue"
API = "/api/greader/reader/api/0/"
READ = "user/-/state/com.google/read"
PG_DB = "veille_bench_greader"
TAG = "Évaluation"  # the theme of the entries ``Readers.change`` writes

# (label, path, query): what a client's sync asks, newest or oldest first. ``_changed``: the
# store's entries change before each call (``change``: a fetch cycle's new entry, an entry of 5
# days ago rewritten, or every day of arrival changed as a retag changes them: the arrivals'
# counts of the days changed are counted again, ``store/arrivals.py``); ``_again``: each
# account asked once before (its previous sync).
SCENARIOS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "unread-count (un nouvel article avant chaque appel)",
        "unread-count",
        {"output": "json", "_changed": "new", "_again": 1},
    ),
    (
        "unread-count (un article d'il y a 5 jours réécrit avant chaque appel)",
        "unread-count",
        {"output": "json", "_changed": "rewritten", "_again": 1},
    ),
    (
        "unread-count (tous les jours d'arrivée changés avant chaque appel)",
        "unread-count",
        {"output": "json", "_changed": "all"},
    ),
    (
        "unread-count (rien de nouveau depuis l'appel précédent)",
        "unread-count",
        {"output": "json", "_again": 1},
    ),
    ("stream/contents (tous, 20)", "stream/contents", {}),
    ("stream/contents non lus (50)", "stream/contents", {"xt": READ, "n": 50}),
    (
        "stream/contents non lus, plus anciens d'abord (50)",
        "stream/contents",
        {"xt": READ, "n": 50, "r": "o"},
    ),
    (
        "stream/contents non lus, page 3 (continuation)",
        "stream/contents",
        {"xt": READ, "n": 50, "_page": 3},
    ),
    ("stream/contents/feed/s0042 non lus", "stream/contents/feed/s0042", {"xt": READ}),
    (
        "stream/contents/user/-/label/Évaluation non lus",
        "stream/contents/user/-/label/Évaluation",
        {"xt": READ},
    ),
    (
        "stream/items/ids non lus (n=10000 → 500)",
        "stream/items/ids",
        {"s": "user/-/state/com.google/reading-list", "xt": READ, "n": 10000},
    ),
    ("stream/items/ids favoris", "stream/items/ids", {"s": "user/-/state/com.google/starred"}),
]


def prepare(cached: Path, work: Path, anchor: datetime, log: Callable[[str], None]) -> Path:
    """A copy of ``cached`` with arrival times and ``USERS`` readers (module docstring)."""
    path = work / f"greader-{cached.name}"
    shutil.copyfile(cached, path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE entry SET first_seen_at = published_at")
    store = Store(f"sqlite:///{path}")
    store.migrate()
    rng = random.Random(42)
    digest = hash_password(PASSWORD)  # one hash for all: 50 × 50 ms saved
    started = time.perf_counter()
    for u in range(USERS):
        name = f"lecteur{u:02d}"
        account = store.add_account(name, "lecteur", now=anchor - timedelta(days=u % 10))
        store.set_api_password(name, digest, anchor)
        recent = Selection(reader=account.reader, unread_only=True, limit=500)
        fresh = [e.id for e in store.list_entries(recent).entries]
        older = Selection(until=account.read_before, limit=200)
        old = [e.id for e in store.list_entries(older).entries]
        store.mark(account.id, rng.sample(fresh, min(READ_EACH, len(fresh))), read=True, now=anchor)
        store.mark(account.id, rng.sample(old, min(KEPT_EACH, len(old))), read=False, now=anchor)
        store.mark(
            account.id,
            rng.sample(fresh + old, min(STARRED_EACH, len(fresh + old))),
            starred=True,
            now=anchor,
        )
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("ANALYZE")
        states = db.execute("SELECT count(*) FROM entry_state").fetchone()[0]
    took = time.perf_counter() - started
    log(f"greader : {USERS} comptes, {states:,} lignes d'état ({took:.0f} s)")
    return path


class Readers:
    """The app over one prepared store, and a token per account."""

    def __init__(self, db: Path | str, feeds: int, anchor: datetime) -> None:
        self.app = queries.App(db, feeds, anchor)
        settings = self.app.app.state.settings
        self.app.app.state.settings = settings.model_copy(update={"secret_key": SECRET})
        self.client = self.app.client
        self.tokens: list[str] = []
        self._old: tuple[str, str, str | None] | None = None  # the entry ``change`` rewrites

    def close(self) -> None:
        self.app.close()

    async def _get(self, path: str, query: dict[str, Any]) -> tuple[int, bytes]:
        status, body, headers = await self.client.get(path, urlencode(query, doseq=True))
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return status, body

    async def _login(self) -> None:
        for u in range(USERS):
            query = {"Email": f"lecteur{u:02d}", "Passwd": PASSWORD}
            status, body = await self._get("/api/greader/accounts/ClientLogin", query)
            assert status == 200, body[:200]
            self.tokens.append(dict(x.split("=", 1) for x in body.decode().split())["Auth"])

    async def _queries(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """One query per account (a continuation followed for ``_page``)."""
        found = []
        for token in self.tokens:
            query = {k: v for k, v in params.items() if not k.startswith("_")} | {"T": token}
            for _ in range(params.get("_page", 1) - 1):
                _, body = await self._get(API + path, query)
                query["c"] = json.loads(body).get("continuation", "")
            found.append(query)
        return found

    def change(self, how: str, n: int) -> None:
        """Change the store's entries as ``how`` says (``SCENARIOS``), the ``n``-th time."""
        store, now = self.app.store, self.app.anchor + timedelta(seconds=n + 1)
        if how == "all":  # what a retag touching every day of arrival does to the versions
            with store.engine.begin() as conn:
                conn.execute(sa.update(arrival_day_t).values(version=arrival_day_t.c.version + 1))
            return
        if how == "new":
            entry = ParsedEntry(f"banc-{n}", None, f"https://banc.exemple.fr/{n}", f"Nouveau {n}")
            feed = "s0001"
        else:
            if self._old is None:
                with store.engine.connect() as conn:
                    found = conn.execute(
                        sa.select(entry_t.c.feed_id, entry_t.c.key, entry_t.c.url)
                        .where(entry_t.c.first_seen_at <= now - timedelta(days=5))
                        .order_by(entry_t.c.first_seen_at.desc())
                        .limit(1)
                    ).one()
                self._old = (found.feed_id, found.key, found.url)
            feed, key, url = self._old
            entry = ParsedEntry(key, key, url, f"Réécrit {n}", published=now - timedelta(days=5))
        store.save_entries(feed, [entry], now=now, tagger=lambda e: {TAG: TagReason("title", "x")})

    def measure(self, runs: int) -> list[tuple[str, Stat, int]]:
        async def go() -> list[tuple[str, Stat, int]]:
            rows = []
            async with self.app.app.router.lifespan_context(self.app.app):
                await self._login()
                for label, path, params in SCENARIOS:
                    calls = await self._queries(path, params)
                    status = 0
                    for query in calls if "_again" in params else calls[:2]:  # warm-up
                        status, _ = await self._get(API + path, query)
                    times: list[float] = []
                    for n in range(runs):
                        if "_changed" in params:
                            self.change(params["_changed"], n)
                        started = time.perf_counter()
                        status, _ = await self._get(API + path, calls[n % len(calls)])
                        times.append(time.perf_counter() - started)
                    rows.append((label, Stat(tuple(times)), status))
            return rows

        return asyncio.run(go())


def on_postgres(prepared: Path, log: Callable[[str], None]) -> str | None:
    """The prepared store loaded into PostgreSQL (its own database); None when absent."""
    reason = postgres.available()
    if reason:
        log(f"greader sur PostgreSQL sauté : {reason}")
        return None
    postgres.load(prepared, PG_DB, log)
    return postgres.url(PG_DB)


def run(size: int, runs: int, with_pg: bool, log: Callable[[str], None]) -> tuple[Any, list[str]]:
    """The section of BENCHMARKS.md (``report.Section``) and the server errors met."""
    from . import bigstore
    from .measure import fmt_stat
    from .report import PG_HEADERS, Section, faster

    path, facts = bigstore.get_store(size, log)
    anchor = bigstore.STORE_ANCHOR
    errors: list[str] = []
    results: dict[str, list[tuple[str, Stat, int]]] = {}
    work = Path(tempfile.mkdtemp(prefix="veille-bench-greader-"))
    try:
        prepared = prepare(path, work, anchor, log)
        backends: dict[str, Path | str] = {"sqlite": prepared}
        if with_pg and (pg_url := on_postgres(prepared, log)):
            backends = {"pg": pg_url, **backends}
        for who, db in backends.items():
            log(f"greader : {len(SCENARIOS)} scénarios sur {who}…")
            readers = Readers(db, facts["feeds"], anchor)
            results[who] = readers.measure(runs)
            readers.close()
            errors += [f"- Erreur du serveur ({who}) : `{e[:300]}`" for e in readers.client.errors]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sec = Section(
        f"API Google Reader : {facts['entries']:,} articles, {USERS} comptes",
        "Requêtes HTTP dans l'application réelle (`create_app`, en processus : jeton vérifié, "
        "sélection, JSON, gzip ; sans uvicorn), la n-ième au nom du n-ième compte. Magasin en "
        "cache copié, arrivées = dates de publication, comptes aux horizons de lecture "
        f"étalés de 7 à 16 jours, chacun avec {READ_EACH} articles lus un à un, {KEPT_EACH} "
        f"gardés non lus, {STARRED_EACH} favoris (`bench/greader.py`). Médiane / p95 sur "
        f"{runs} requêtes après 2 de chauffe. PostgreSQL : le même magasin chargé par "
        "`bench/postgres.py` (`--postgres`, ou `--only greader` quand il répond).",
        headers=PG_HEADERS,
    )
    for n, (label, sq, _) in enumerate(results["sqlite"]):
        cells = {}
        for who, rows in results.items():
            stat, status = rows[n][1], rows[n][2]
            ok = status == 200 and stat.p95 < TARGET
            cells[who] = (fmt_stat(stat) if status == 200 else f"HTTP {status}", ok)
        pg = results.get("pg", [])
        sec.add(
            f"GET {label}",
            cells["pg"][0] if "pg" in cells else "—",
            cells["sqlite"][0],
            faster(pg[n][1].p95, sq.p95) if pg else "—",
            f"p95 < {TARGET * 1000:.0f} ms",
            " · ".join(f"{NAMES[w]} {'✅' if ok else '❌'}" for w, (_, ok) in cells.items()),
        )
    return sec, errors


TARGET = 0.050
NAMES = {"pg": "PG", "sqlite": "SQLite"}
