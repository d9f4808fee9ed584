"""One refresh run in a fresh process (``python -m bench.child SPEC_JSON``), so that the
parent can sample the memory of exactly this process tree (parser workers included).

It does a first full refresh of every feed into an empty database, then ``cycles`` refreshes
where every feed answers 304, and prints one JSON line: ``{"first": s, "cycles": [s…],
"entries": n, "errors": n, "search": {...}}`` (veille: also ``cluster``, ``stories``). Both
contenders run the same way:

- veille: ``service.open_updater(settings, store)`` + ``apply_config`` + ``update()``, as
  ``veille update --all`` does (fetch | parse in worker processes | tag | save | cluster); its
  last step, same-story grouping, is also timed apart (``cluster``, with ``stories``: how
  many stories several sources told, and their entries);
- reader: ``make_reader(db)`` + ``add_feed`` + ``update_feeds(workers=…)`` (requests +
  feedparser in threads), then ``enable_search`` + ``update_search``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

SHIPPED_CONFIG = Path(__file__).resolve().parents[1] / "feeds.yaml"
FEED_TAGS = (("actualite",), (), ("institutionnel",), (), ("recherche",), ())


def bench_config(urls: list[str]) -> Any:
    """The shipped feeds.yaml (its taxonomy and digests) with the corpus feeds as sources."""
    from veille.config.load import load_config
    from veille.models import FeedSpec

    shipped = load_config(SHIPPED_CONFIG)
    feeds = tuple(
        FeedSpec(
            id=f"s{i:04d}",
            url=url,
            title=None,
            tags=FEED_TAGS[i % len(FEED_TAGS)],
            every=timedelta(hours=1),
        )
        for i, url in enumerate(urls)
    )
    return replace(shipped, feeds=feeds)


def run_veille(spec: dict[str, Any]) -> dict[str, Any]:
    from veille.ingest.service import open_updater
    from veille.settings import Settings
    from veille.store import Store

    config = bench_config(spec["urls"])
    settings = Settings(
        database_url=f"sqlite:///{spec['db']}",
        allow_hosts=spec["host_port"],
        # Every corpus feed is on one loopback host: lift the per-host limit to the total
        # one, as if the feeds were on as many hosts as in real life.
        per_host_concurrency=spec.get("concurrency", 32),
        fetch_concurrency=spec.get("concurrency", 32),
        parse_workers=spec.get("workers", 2),
    )
    store = Store(settings.database_url)
    store.migrate()

    clustering: list[float] = []

    async def main() -> dict[str, Any]:
        async with open_updater(settings, store) as updater:
            await updater.apply_config(config)
            cluster = updater.cluster

            async def timed_cluster() -> int:
                # The update's last step (same-story grouping), timed apart inside ``first``.
                started = time.perf_counter()
                try:
                    return await cluster()
                finally:
                    clustering.append(time.perf_counter() - started)

            updater.cluster = timed_cluster  # type: ignore[method-assign]
            started = time.perf_counter()
            results = await updater.update(None)
            first = time.perf_counter() - started
            errors = [r.error for r in results if r.status not in ("ok", "not_modified")]
            cycles = []
            for _ in range(spec.get("cycles", 0)):
                started = time.perf_counter()
                again = await updater.update(None)
                cycles.append(time.perf_counter() - started)
                errors += [r.error for r in again if r.status not in ("ok", "not_modified")]
        return {"first": first, "cycles": cycles, "errors": len(errors), "error": errors[:3]}

    try:
        out = asyncio.run(main())
        out["entries"] = store.count_entries()
    finally:
        store.close()
    out["cluster"] = clustering[0] if clustering else 0.0
    out["stories"] = _stories(spec["db"])
    return out


def _stories(db: str) -> list[int]:
    """[stories told by several sources, entries in them] after the first refresh."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM entry "
            "WHERE cluster_id IS NOT NULL GROUP BY cluster_id HAVING count(*) > 1)"
        ).fetchone()
    return [int(row[0]), int(row[1])]


def run_reader(spec: dict[str, Any]) -> dict[str, Any]:
    from reader import make_reader

    reader = make_reader(spec["db"])
    for url in spec["urls"]:
        reader.add_feed(url)
    started = time.perf_counter()
    reader.update_feeds(workers=spec.get("workers", 16))
    first = time.perf_counter() - started
    cycles = []
    for _ in range(spec.get("cycles", 0)):
        started = time.perf_counter()
        # update_feeds() only updates feeds that are due; the cycle must fetch them all.
        reader.update_feeds(workers=spec.get("workers", 16), scheduled=False)
        cycles.append(time.perf_counter() - started)
    errors = [f.url for f in reader.get_feeds() if f.last_exception]
    out: dict[str, Any] = {
        "first": first,
        "cycles": cycles,
        "errors": len(errors),
        "error": errors[:3],
        "entries": reader.get_entry_counts().total,
    }
    if spec.get("search"):
        reader.enable_search()
        started = time.perf_counter()
        reader.update_search()
        out["update_search"] = time.perf_counter() - started
    reader.close()
    return out


def main() -> None:
    spec = json.loads(sys.argv[1])
    run = run_veille if spec["who"] == "veille" else run_reader
    print(json.dumps(run(spec)), flush=True)


if __name__ == "__main__":
    main()
