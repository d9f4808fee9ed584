"""« À la une » at scale: what ranking costs a page, on a week of ``feeds`` sources.

The store is written here by SQL (no parsing, no clustering pass: both are measured elsewhere),
shaped like a busy week: every source publishes ``PER_WEEK`` articles a week, a fifth of the
week's articles are copies of stories relayed by 2 to 6 sources (one cluster each, and every
single its own, as ``Store.cluster_pending`` leaves them), every article has one or two themes
of the shipped taxonomy, and ``OLDER_WEEKS`` earlier weeks sit behind (the range scan of the
week must not read them).
Measured, through the real app and in process:

- ``Store.story_stats`` for the weekly digest: the week's relayed stories summed up in SQL;
- ``selection.une_lines``: that query, the ranking, the copies of the top stories and the
  entries shown (two more queries, a few rows each);
- ``GET /digests/hebdo`` and ``GET /`` (the day), with « À la une » and without it
  (``une: false``), on the same store: the difference is the ranking's share of the page.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from veille.models import FeedSpec
from veille.selection import digest_selection, une_lines
from veille.store import Store
from veille.store.tables import entry_t, tag_t

from .measure import fmt_stat, repeat
from .queries import App
from .report import Section, verdict

ANCHOR = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
PER_WEEK = 15  # articles per source and week (a busy education site)
OLDER_WEEKS = 9
RELAYED = 17  # one story in RELAYED is relayed (2 to 6 copies): a fifth of the articles
PAGE_BUDGET = 0.100  # GET / p95 < 100 ms (issue 7)


def build(path: Path, feeds: int, log: Any = print) -> tuple[int, int]:
    """A store at ``path``: (articles in the last week, articles in all)."""
    store = Store(f"sqlite:///{path}")
    store.migrate()
    ids = [f"s{i:04d}" for i in range(feeds)]
    store.sync_feeds(
        [FeedSpec(f, f"https://site-{i:04d}.exemple.fr/feed/") for i, f in enumerate(ids)]
    )
    from .child import bench_config

    themes = [t.name for t in bench_config([]).tags]
    rng = random.Random(7)
    week = feeds * PER_WEEK
    entries: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    next_id = 1
    for w in range(OLDER_WEEKS, -1, -1):  # oldest first: ids follow dates
        start = ANCHOR - timedelta(days=7 * (w + 1))
        made = 0
        while made < week:
            relayed = w == 0 and rng.randrange(RELAYED) == 0
            copies = rng.randint(2, 6) if relayed else 1
            when = start + timedelta(seconds=rng.randrange(7 * 86400 - 12 * 3600))
            cluster = next_id  # a single is its own cluster, as the clustering pass leaves it
            topic = rng.sample(themes, rng.randint(1, 2))
            for c, feed in enumerate(rng.sample(ids, copies)):
                published = when + timedelta(minutes=rng.randrange(720) if c else 0)
                entries.append(
                    {
                        "id": next_id,
                        "feed_id": feed,
                        "key": f"k{next_id}",
                        "guid": f"k{next_id}",
                        "url": f"https://{feed}.exemple.fr/{next_id}",
                        "title": f"Article {next_id} du sujet {cluster}",
                        "summary_html": f"<p>Résumé de l'article {next_id}.</p>",
                        "content_html": "",
                        "categories": "[]",
                        "content_hash": f"h{next_id}",
                        "published_at": published,
                        "date_missing": False,
                        "first_seen_at": published,
                        "changed_at": published,
                        "cluster_id": cluster,
                    }
                )
                tags += [
                    {"entry_id": next_id, "tag": t, "field": "title", "term": t} for t in topic
                ]
                next_id += 1
                made += 1
    with store.engine.begin() as conn:
        for i in range(0, len(entries), 5000):
            conn.execute(sa.insert(entry_t), entries[i : i + 5000])
        for i in range(0, len(tags), 5000):
            conn.execute(sa.insert(tag_t), tags[i : i + 5000])
        conn.exec_driver_sql("ANALYZE")
    log(f"  « à la une » : {len(entries):,} articles, dont {week:,} cette semaine")
    store.close()
    return week, len(entries)


def measure(feeds: int, runs: int, log: Any = print) -> Section:
    with tempfile.TemporaryDirectory(prefix="veille-une-") as folder:
        db = Path(folder) / "une.db"
        started = time.perf_counter()
        week, total = build(db, feeds, log)
        built = time.perf_counter() - started
        app = App(db, feeds, ANCHOR - timedelta(hours=1))  # its clock: ANCHOR
        try:
            return _measure(app, feeds, week, total, built, runs)
        finally:
            app.close()


def _measure(app: App, feeds: int, week: int, total: int, built: float, runs: int) -> Section:
    sec = Section(
        f"« À la une » : une semaine de {feeds:,} sources ({week:,} articles ; magasin de "
        f"{total:,})",
        f"Magasin écrit par SQL en {built:.0f} s (un cinquième des articles de la semaine sont "
        "des reprises d'un même sujet, de 2 à 6 sources). Médiane / p95 sur "
        f"{runs} essais après 2 de chauffe. « sans » : la même page avec `une: false`.",
    )
    config, store = app.config, app.store
    spec = config.digest("hebdo")
    assert spec is not None
    now = ANCHOR

    def rank() -> Any:
        return une_lines(store, config, spec, digest_selection(spec, now), now)

    lines = rank().lines
    weekly = digest_selection(spec, now)
    institutions = {f.id for f in config.feeds if f.institution}
    themes = {t.name for t in config.tags}

    def stats() -> Any:
        return store.story_stats(weekly, institutions=institutions, themes=themes)

    count = len(stats())
    summed = repeat(stats, runs)
    ranking = repeat(rank, runs)
    sec.add(
        f"requête : les sujets repris de la semaine résumés ({count:,} sujets)", fmt_stat(summed)
    )
    sec.add(
        f"« à la une » complet : requête + classement + articles affichés ({len(lines)} sujets)",
        fmt_stat(ranking),
    )
    for path, label in (("/digests/hebdo", "GET /digests/hebdo"), ("/", "GET / (digest du jour)")):
        with_une, status, _ = app.time(path, "", runs)
        app.app.state.config = replace(
            config, digests=tuple(replace(d, une=None) for d in config.digests)
        )
        without, _, _ = app.time(path, "", runs)
        app.app.state.config = config
        target = path == "/"
        sec.add(
            f"{label} avec « à la une » / sans",
            f"{fmt_stat(with_une)} / {fmt_stat(without)}",
            "",
            "",
            "p95 < 100 ms" if target else "",
            verdict(with_une.p95 < PAGE_BUDGET and status == 200) if target else "",
        )
    return sec
