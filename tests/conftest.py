"""Shared fixtures: a real SQLite file per test, a fixed clock, the corpus location."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from veille.store import Store

pytest_plugins = ["tests.fixtures_http"]

ROOT = Path(__file__).resolve().parents[1]


def corpus_dir() -> Path:
    """The shared real-world corpus (``VEILLE_CORPUS`` overrides ``../shared/corpus/real``)."""
    return Path(os.environ.get("VEILLE_CORPUS", ROOT.parent / "shared" / "corpus" / "real"))


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


POSTGRES_URL = os.environ.get("VEILLE_TEST_POSTGRES_URL", "")
NO_POSTGRES = (
    "PostgreSQL absent : définissez VEILLE_TEST_POSTGRES_URL "
    "(ex. postgresql+psycopg://postgres@127.0.0.1:5432/test) pour tester ce moteur"
)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test PostgreSQL database; yields a URL whose search_path is it."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'data' / 'veille.db'}")
    s.migrate()
    yield s
    s.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store on each backend: a real SQLite file, and a real PostgreSQL schema
    when ``VEILLE_TEST_POSTGRES_URL`` is set (else that half is skipped, reason printed)."""
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'data' / 'veille.db'}")
        s.migrate()
        yield s
        s.close()
        return
    with postgres_schema() as url:
        s = Store(url)
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: end-to-end tests (real servers, browsers, processes); "
        "`pytest -m 'not slow'` gives a quick loop, CI runs everything",
    )
