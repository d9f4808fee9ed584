"""The benchmark's unit costs (``bench/units.py``) still run against the current code: the
timings that used to be asserted in unit tests are measured there, so it must not rot. Nothing
here bounds a time."""

from __future__ import annotations

import pytest

from bench import units


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
