"""Large stores (100k, 1M entries), built fast but with veille's own rows, and cached.

How (say it in BENCHMARKS.md too):

1. A **base** of distinct articles (``BASE`` = 100,000: 2,000 feeds × 50) goes through the
   pipeline's own steps: in 2 worker processes, ``corpus.raw_entry`` →
   ``sanitize.build_entry`` (nh3, canonical links, identity) → ``prepare.extras_for`` (tags
   with reasons and index text, as the parser workers do); then ``Store.save_entries(feed,
   entries, extras=…)`` (dedup lookups, entry, tag and FTS rows) on one thread, with the
   rules of the shipped feeds.yaml. Its throughput is reported ("ingest").
2. A **store of N entries** is the base copied ``N / BASE`` times by SQL (``ATTACH`` +
   ``INSERT … SELECT``): copy ``k`` is the feed's ``k``-th earlier page of 50 articles (dates
   shifted back by 50 × the feed's publishing period, key/guid/link suffixed ``#k``); its
   entry, tag and FTS rows are the base's rows byte for byte (same text → same tags and same
   index text), so search and tag selectivity are those of the base. Ids are given in
   publication order, as a store filled over the years has them (the feed-order ids of a
   bulk load would flatter nothing and hurt nothing, but they would not be real).
   ``content_hash`` is the original's (it only matters when the same key is fetched again).
3. The last 7 days are clustered with ``Store.cluster_pending`` (the pipeline's step).

Stores are cached in ``~/.cache/veille-bench`` (``VEILLE_BENCH_CACHE``) under names keyed by
the corpus version and the anchor date, and copied before any scenario that writes.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from veille.ingest.parse.prepare import extras_for
from veille.ingest.parse.sanitize import build_entry
from veille.models import FeedSpec, ParsedEntry
from veille.rules.clustering import ClusterItem, assign_clusters
from veille.rules.ruleset import RuleSet
from veille.store import Store

from . import corpus
from .child import FEED_TAGS, bench_config

FEEDS = 2_000
BASE_PER_FEED = 50
BASE = FEEDS * BASE_PER_FEED
# The anchor of cached stores: fixed, so a cache stays valid; pages get a clock set to it.
STORE_ANCHOR = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
# The pipeline clusters the last 14 days after each update, a few new entries at a time; here
# the whole window is pending at once, and only the last 7 days (what the weekly digest
# shows, and what pages collapse) are clustered.
CLUSTER_DAYS = timedelta(days=7)
ENTRY_COLUMNS = (
    "feed_id, key, guid, url, title, author, summary_html, content_html, categories, "
    "content_hash, published_at, date_missing, updated_at, first_seen_at, changed_at"
)


def cache_dir() -> Path:
    path = Path(os.environ.get("VEILLE_BENCH_CACHE", Path.home() / ".cache" / "veille-bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def feed_id(feed: int) -> str:
    return f"s{feed:04d}"


def bench_feeds(feeds: int) -> list[FeedSpec]:
    return list(bench_config([corpus.site(f) + "/feed/" for f in range(feeds)]).feeds)


def _parsed(args: tuple[int, int, datetime, Any]) -> tuple[int, list[ParsedEntry], Any]:
    """In a worker: the feed's entries as the parse step makes them, and their extras."""
    feed, per_feed, anchor, rules = args
    entries = [
        build_entry(corpus.raw_entry(corpus.article(feed, i, anchor)), anchor)
        for i in range(per_feed)
    ]
    return feed, entries, extras_for(feed_id(feed), entries, rules)


def build_base(path: Path, feeds: int, per_feed: int, log: Any = print) -> dict[str, float]:
    """The base store through ``save_entries`` with the shipped rules; returns timings."""
    tmp = path.with_suffix(".tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    store = Store(f"sqlite:///{tmp}")
    store.migrate()
    config = bench_config([corpus.site(f) + "/feed/" for f in range(feeds)])
    store.sync_feeds(config.feeds)
    rules = RuleSet.from_config(config)
    saved = 0.0
    started = time.perf_counter()
    with Pool(2) as pool:
        jobs = [(f, per_feed, STORE_ANCHOR, rules.spec) for f in range(feeds)]
        for n, (feed, entries, extras) in enumerate(pool.imap(_parsed, jobs, chunksize=4)):
            t = time.perf_counter()
            store.save_entries(feed_id(feed), entries, now=STORE_ANCHOR, extras=extras)
            saved += time.perf_counter() - t
            if n % 500 == 499:
                log(f"  base : {n + 1}/{feeds} sources")
    store.set_meta("rules_fingerprint", rules.fingerprint)
    total = time.perf_counter() - started
    store.close()
    _checkpoint(tmp)
    tmp.rename(path)
    return {"entries": feeds * per_feed, "wall": total, "save": saved}


def _checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _period_hours(feed: int) -> float:
    return random.Random(f"p{feed}").uniform(4, 72)  # as corpus.article


def replicate(base: Path, path: Path, copies: int, feeds: int, per_feed: int) -> float:
    """``copies`` copies of the base into a fresh store at ``path`` (ids in date order)."""
    started = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    store = Store(f"sqlite:///{tmp}")
    store.migrate()
    store.sync_feeds(bench_config([corpus.site(f) + "/feed/" for f in range(feeds)]).feeds)
    fingerprint = Store(f"sqlite:///{base}").rules_fingerprint() or ""
    store.close()
    conn = sqlite3.connect(tmp, isolation_level=None)
    # A throw-away file until the rename below (a failed build is deleted and redone): no
    # journal, so the ~15 GB of a 1M store are written once, not to the WAL and then again
    # by the checkpoint (the 1M copy: 257 s). The store's own connections go back to WAL.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    conn.execute("ATTACH ? AS src", (str(base),))
    conn.execute("BEGIN")
    conn.execute("CREATE TEMP TABLE period(feed_id TEXT PRIMARY KEY, seconds INTEGER)")
    conn.executemany(
        "INSERT INTO period VALUES (?, ?)",
        [(feed_id(f), int(_period_hours(f) * 3600 * per_feed)) for f in range(feeds)],
    )
    conn.execute("CREATE TEMP TABLE copy(k INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO copy VALUES (?)", [(k,) for k in range(copies)])
    shifted = (
        "strftime('%Y-%m-%d %H:%M:%S', e.published_at, printf('-%d seconds', c.k * p.seconds))"
        " || '.000000'"
    )
    # new id (INTEGER PRIMARY KEY, assigned in date order) → (source id, copy, new date)
    conn.execute("CREATE TEMP TABLE map(id INTEGER PRIMARY KEY, src INTEGER, k INTEGER, at TEXT)")
    conn.execute(
        f"INSERT INTO map(src, k, at) SELECT e.id, c.k, {shifted} AS at "
        "FROM src.entry e JOIN period p ON p.feed_id = e.feed_id CROSS JOIN copy c "
        "ORDER BY at, e.id, c.k"
    )
    suffix = "CASE WHEN m.k = 0 THEN '' ELSE '#' || m.k END"
    conn.execute(
        f"INSERT INTO entry(id, {ENTRY_COLUMNS}) SELECT m.id, e.feed_id, e.key || {suffix}, "
        f"e.guid || {suffix}, e.url || {suffix}, e.title, e.author, e.summary_html, "
        "e.content_html, e.categories, e.content_hash, m.at, e.date_missing, e.updated_at, "
        "m.at, m.at FROM map m JOIN src.entry e ON e.id = m.src ORDER BY m.id"
    )
    conn.execute(
        "INSERT INTO entry_tag(entry_id, tag, field, term) SELECT m.id, t.tag, t.field, t.term "
        "FROM map m JOIN src.entry_tag t ON t.entry_id = m.src ORDER BY m.id"
    )
    conn.execute(
        "INSERT INTO entry_fts(rowid, title, body) SELECT m.id, f.title, f.body "
        "FROM map m JOIN src.entry_fts f ON f.rowid = m.src ORDER BY m.id"
    )
    conn.execute(
        "UPDATE feed SET entry_count = (SELECT count(*) FROM entry WHERE feed_id = feed.id)"
    )
    conn.execute("INSERT INTO meta(key, value) VALUES ('rules_fingerprint', ?)", (fingerprint,))
    conn.execute("COMMIT")
    conn.execute("DETACH src")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    store = Store(f"sqlite:///{tmp}")
    store.cluster_pending(assign_clusters, ClusterItem, since=STORE_ANCHOR - CLUSTER_DAYS)
    store.close()
    _checkpoint(tmp)
    tmp.rename(path)
    return time.perf_counter() - started


def get_store(entries: int, log: Any = print) -> tuple[Path, dict[str, Any]]:
    """The cached store of ``entries`` entries, built if missing; (path, build facts)."""
    if entries >= BASE:
        feeds, per_feed = FEEDS, BASE_PER_FEED
    else:  # quick mode: a smaller base, same shape
        feeds, per_feed = max(entries // BASE_PER_FEED, 1), BASE_PER_FEED
    base_entries = feeds * per_feed
    copies = max(entries // base_entries, 1)
    tag = f"v{corpus.VERSION}-{STORE_ANCHOR:%Y%m%d}"
    base = cache_dir() / f"base-{tag}-{base_entries}.db"
    facts: dict[str, Any] = {"cached": True}
    if not base.exists():
        log(f"construction de la base de {base_entries:,} articles (save_entries)…")
        facts["base"] = build_base(base, feeds, per_feed, log)
        facts["cached"] = False
    path = cache_dir() / f"store-{tag}-{base_entries * copies}.db"
    if not path.exists():
        log(f"construction du magasin de {base_entries * copies:,} articles (copies SQL)…")
        facts["replicate"] = replicate(base, path, copies, feeds, per_feed)
        facts["cached"] = False
    facts["size"] = path.stat().st_size
    facts["entries"] = base_entries * copies
    facts["feeds"] = feeds
    return path, facts


__all__ = ["FEED_TAGS", "STORE_ANCHOR", "bench_feeds", "get_store"]
