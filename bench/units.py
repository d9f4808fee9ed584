"""Unit costs that tests used to bound with a wall clock: a unit test checks behaviour, and how
long a step takes is measured here, on this run's machine, next to the other figures.

- clustering: ``assign_clusters`` of 100 new entries against 500 candidates (what one feed's
  new items meet in a busy window); the test's old bound was 0.5 s;
- the slowest parse of the real-world corpus (``../shared/corpus/real``, ``VEILLE_CORPUS``),
  when it is there; the test's old bound was 5 s per file.

Page rendering is measured through the real app (``GET /``, ``GET /digests/hebdo``).
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta

from tests.corpus_files import corpus_root, manifest, url_of
from tests.feedgen import item_title
from veille.errors import ParseError
from veille.ingest.parse.feed import parse
from veille.rules.clustering import ClusterItem, assign_clusters

from .measure import Stat, fmt_s, fmt_stat, repeat
from .report import Section, verdict

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def cluster_batch(runs: int) -> Stat:
    candidates = [
        ClusterItem(f"k{i}", f"feed{i % 7}", item_title(i % 40, i), T0 + timedelta(minutes=i))
        for i in range(500)
    ]
    new = [
        ClusterItem(f"n{i}", "nouveau", item_title(i % 40, i), T0 + timedelta(hours=9))
        for i in range(100)
    ]
    return repeat(lambda: assign_clusters(new, candidates), runs)


def slowest_corpus_parse() -> tuple[float, str, int] | None:
    """(seconds, file, files parsed) of the slowest real-world corpus document to parse."""
    files = manifest()
    if not files:
        return None
    worst = (0.0, "")
    for item in files:
        body = (corpus_root() / item.path).read_bytes()
        started = time.perf_counter()
        with contextlib.suppress(ParseError):  # refusing must be quick as well
            parse(url_of(item.path), body, {}, T0)
        worst = max(worst, (time.perf_counter() - started, item.path))
    return worst[0], worst[1], len(files)


def measure(runs: int) -> Section:
    sec = Section(
        "Coûts unitaires (en processus)",
        f"Médiane / p95 sur {runs} essais après 2 de chauffe ; corpus réel : un passage, le "
        "document le plus lent.",
    )
    stat = cluster_batch(runs)
    sec.add(
        "regroupement : 100 nouveaux articles contre 500 candidats",
        fmt_stat(stat),
        "",
        "",
        "p95 < 0,5 s",
        verdict(stat.p95 < 0.5),
    )
    worst = slowest_corpus_parse()
    if worst is None:
        sec.add("corpus réel : analyse la plus lente", f"corpus absent ({corpus_root()})")
    else:
        seconds, path, count = worst
        sec.add(
            f"corpus réel : analyse la plus lente ({count} documents ; `{path}`)",
            fmt_s(seconds),
            "",
            "",
            "< 5 s",
            verdict(seconds < 5),
        )
    return sec
