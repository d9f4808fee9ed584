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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI (``CI=true``) a skip is a failure: it would hide a gap (a missing package, a
    missing service). On a laptop, skips stay skips, with their reason printed (``-ra``)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI (not allowed): {reason}"
