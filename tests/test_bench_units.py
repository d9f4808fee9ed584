"""The benchmark's unit costs (``bench/units.py``) still run against the current code: the
timings that used to be asserted in unit tests are measured there, so it must not rot. Nothing
here bounds a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import units
from veille.store import Store


def test_the_clustering_batch_runs() -> None:
    stat = units.cluster_batch(runs=1)
    assert len(stat.values) >= 1 and stat.median > 0


def test_the_section_has_its_rows_without_the_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(units, "manifest", list)
    monkeypatch.setattr(units, "cluster_batch", lambda runs: units.Stat((0.01, 0.02)))
    section = units.measure(runs=2)
    labels = [row.label for row in section.rows]
    assert labels[0].startswith("regroupement : 100 nouveaux articles")
    assert section.rows[0].verdict == "✅ atteint"
    assert section.rows[1].veille.startswith("corpus absent")


def test_the_une_scenario_runs_on_a_small_week() -> None:
    """``bench/une.py`` on 40 sources: its store is ranked (five stories, each relayed) and
    every row is measured, the day's page within its budget."""
    from bench import une

    section = une.measure(feeds=40, runs=1, log=lambda _: None)
    labels = [row.label for row in section.rows]
    assert labels[1].endswith("(5 sujets)")
    assert labels[2].startswith("GET /digests/hebdo") and labels[3].startswith("GET /")
    assert section.rows[3].verdict == "✅ atteint"


def test_the_greader_scenarios_answer_on_a_small_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``bench/greader.py`` on a store of a few entries and 3 readers: they are prepared, log
    in, and every scenario answers 200 (a 4xx would be measured as fast)."""
    from dataclasses import replace
    from datetime import timedelta

    from bench import bigstore, greader
    from veille.models import ParsedEntry

    monkeypatch.setattr(greader, "USERS", 3)  # a login is an argon2 hash: ~50 ms each
    anchor = bigstore.STORE_ANCHOR
    store = Store(f"sqlite:///{tmp_path / 'small.db'}")
    store.migrate()
    store.sync_feeds(bigstore.bench_feeds(50))
    entries = [
        ParsedEntry(f"k{i}", f"k{i}", f"https://x.example/{i}", f"Évaluation {i}")
        for i in range(30)
    ]
    entries = [replace(e, published=anchor - timedelta(days=i)) for i, e in enumerate(entries)]
    store.save_entries("s0042", entries, now=anchor)
    store.close()
    prepared = greader.prepare(tmp_path / "small.db", tmp_path, anchor, lambda _: None)
    readers = greader.Readers(prepared, 50, anchor)
    rows = readers.measure(runs=2)
    readers.close()
    assert [label for label, _, _ in rows] == [label for label, _, _ in greader.SCENARIOS]
    assert all(status == 200 for _, _, status in rows), rows
    assert readers.client.errors == []
