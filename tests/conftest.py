"""Shared fixtures: a real SQLite file per test, a fixed clock, the corpus location."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from veille.store import Store

pytest_plugins = ["tests.fixtures_http"]

ROOT = Path(__file__).resolve().parents[1]


def corpus_dir() -> Path:
    """The shared real-world corpus (``VEILLE_CORPUS`` overrides ``../shared/corpus/real``)."""
    return Path(os.environ.get("VEILLE_CORPUS", ROOT.parent / "shared" / "corpus" / "real"))


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'data' / 'veille.db'}")
    s.migrate()
    yield s
    s.close()
