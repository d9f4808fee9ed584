"""Shared fixtures and helpers, one definition each.

- Stores: ``store`` (SQLite file and PostgreSQL schema, each test its own), ``module_store``
  (the same, shared by a module's read-only tests), ``sqlite_store``; an empty schema:
  ``tests.stores.postgres_schema()``.
- Loopback servers: ``feed_server`` / ``feed_server_factory`` (``tests.servers.FeedServer``),
  ``fetch_policy`` / ``fetch``, ``smtp`` (``tests.mail_support.MailServer``), ``browser``
  (one headless Chromium per module).
- Passwords: hashed at argon2's lowest cost in this process (``production_hashing``, autouse:
  it yields the production hasher and dummy hash).
- Data: ``now`` (the fixed clock), ``pool`` (parser processes, one per module),
  ``mail_ids`` (the e-mail tests' entries), ``api_client`` (the API over a filled store).
- Helpers: ``free_port()``, ``wait_until(check, timeout)`` (bounded polling instead of fixed
  sleeps), ``veille_env(**settings)`` (the environment of a ``veille`` subprocess),
  ``run_updater(store, pool, now, …)`` (one pipeline pass in-process). The real-world
  corpus: ``tests.corpus_files.corpus_root()``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.servers import FeedServer
from tests.stores import NO_POSTGRES, POSTGRES_URL, PostgresSchemas
from veille.ingest.fetch import Fetcher
from veille.ingest.policy import FetchPolicy
from veille.models import FetchResult, Validators
from veille.store import Store

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")

# The CLI's consoles (rich) are made at import and keep the width COLUMNS gave then, which
# would wrap the lines the tests compare: pytest-xdist's workers get COLUMNS=80, a shell may
# export its own. The tests that need a width set theirs.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


# --- helpers ------------------------------------------------------------------------------------


def free_port() -> int:
    """A port free on 127.0.0.1 now (bound, then released for the server about to start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(
    check: Callable[[], T],
    timeout: float = 30.0,
    what: str = "",
    interval: float = 0.05,
    retry_on: tuple[type[BaseException], ...] = (OSError,),
) -> T:
    """Poll ``check`` until it returns something true, and return that; AssertionError after
    ``timeout`` seconds. ``retry_on`` exceptions count as "not yet" (a server not listening
    yet). Use this, not a fixed ``time.sleep``, to wait for something to happen."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if value := check():
                return value
        except retry_on:
            pass  # not ready yet: poll again until the deadline
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout:g} s: {what or check}")
        time.sleep(interval)


def veille_env(**settings: str) -> dict[str, str]:
    """The environment of a ``veille`` subprocess: this one without any ``VEILLE_*`` setting
    (a developer's own never leaks into a test), plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEILLE_")}
    return env | settings


def run_updater(
    store: Store,
    pool: Any,
    now: Callable[[], datetime],
    *,
    allow: tuple[str, ...] = (),
    config: Any = None,
    imap: Any = None,
    **kw: Any,
) -> dict[str, Any]:
    """One pass of the real ``Updater`` in-process (fetcher, parser processes ``pool``, store),
    fetching only from the ``allow``-ed ``host:port``s; ``config`` is applied first when
    given; ``kw`` goes to ``update()``. The results by feed id."""
    from veille.ingest.pipeline import Updater

    async def go() -> list[Any]:
        policy = FetchPolicy(timeout=5, allowed_hosts=frozenset(allow))
        async with Fetcher(policy, now=now) as fetcher:
            updater = Updater(store=store, fetcher=fetcher, parser=pool, now=now, imap=imap)
            try:
                if config is not None:
                    await updater.apply_config(config)
                return await updater.update(**kw)
            finally:
                updater.close()

    return {r.feed_id: r for r in asyncio.run(go())}


# --- password hashes ----------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def production_hashing() -> Iterator[tuple[Any, str]]:
    """argon2id at its lowest cost for the tests run in this process (8 KiB, one pass: ~0.1 ms
    a hash or a check instead of ~50 ms, several hundred times in the suite). The parameters
    travel in each hash, so these still check as argon2id. What production hashes with is
    yielded (the hasher, the dummy hash) for the test that checks it; ``veille`` processes
    started by tests (``veille users``, ``veille serve``) hash at production cost."""
    from argon2 import PasswordHasher

    import veille.passwords as passwords

    production = passwords._hasher, passwords._DUMMY
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    passwords._hasher, passwords._DUMMY = cheap, cheap.hash(secrets.token_urlsafe(16))
    yield production
    passwords._hasher, passwords._DUMMY = production


# --- stores -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _postgres_schemas() -> Iterator[PostgresSchemas | None]:
    if not POSTGRES_URL:
        yield None
        return
    schemas = PostgresSchemas()
    yield schemas
    schemas.close()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated SQLite file, copied for each store (a copy takes ~1 ms, running the
    migrations ~50 ms). Closed first: nothing is left in a WAL file."""
    path = tmp_path_factory.mktemp("template") / "veille.db"
    s = Store(f"sqlite:///{path}")
    s.migrate()
    s.close()
    return path


@contextmanager
def _open_store(
    backend: str, folder: Path, template: Path, schemas: PostgresSchemas | None
) -> Iterator[Store]:
    if backend == "postgresql":
        if schemas is None:
            pytest.skip(NO_POSTGRES)
        with schemas.store() as s:
            yield s
        return
    path = folder / "data" / "veille.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    s = Store(f"sqlite:///{path}")
    s.migrate()  # at head already: one read, as at every start
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path, _sqlite_template: Path) -> Iterator[Store]:
    with _open_store("sqlite", tmp_path, _sqlite_template, None) as s:
        yield s


@pytest.fixture(params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _sqlite_template: Path,
    _postgres_schemas: PostgresSchemas | None,
) -> Iterator[Store]:
    """A migrated store on each backend: a real SQLite file, and a real PostgreSQL schema
    when ``VEILLE_TEST_POSTGRES_URL`` is set (else that half is skipped, reason printed)."""
    with _open_store(request.param, tmp_path, _sqlite_template, _postgres_schemas) as s:
        yield s


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _sqlite_template: Path,
    _postgres_schemas: PostgresSchemas | None,
) -> Iterator[Store]:
    """``store``, shared by the tests of one module: for tests that only read."""
    folder = tmp_path_factory.mktemp("module-store")
    with _open_store(request.param, folder, _sqlite_template, _postgres_schemas) as s:
        yield s


# --- loopback servers ---------------------------------------------------------------------------


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def feed_server_factory() -> Iterator[Callable[[], FeedServer]]:
    """``feed_server_factory()`` starts one more ``FeedServer`` (another port)."""
    servers: list[FeedServer] = []

    def start() -> FeedServer:
        server = FeedServer().start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def fetch_policy(feed_server: FeedServer) -> FetchPolicy:
    """A short-deadline ``FetchPolicy`` allowing ``feed_server`` and nothing else."""
    return FetchPolicy(timeout=5.0, allowed_hosts=frozenset({feed_server.host_port}))


FetchFn = Callable[..., FetchResult]


@pytest.fixture
def fetch(fetch_policy: FetchPolicy) -> FetchFn:
    """Fetch one URL with a fresh ``Fetcher`` (``fetch_policy`` unless ``policy`` is given)."""

    def run(
        url: str, validators: Validators | None = None, policy: FetchPolicy | None = None
    ) -> FetchResult:
        async def go() -> FetchResult:
            async with Fetcher(policy or fetch_policy) as fetcher:
                return await fetcher.fetch(url, validators or Validators())

        return asyncio.run(go())

    return run


@pytest.fixture
def smtp() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""
    from tests.mail_support import MailServer

    with MailServer() as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for a module (each test opens its own context). Not one for the
    session: Playwright's sync API keeps an event loop of its own, which the modules that
    call ``asyncio.run`` must not run beside."""
    from tests.browser import chromium

    with chromium() as b:
        yield b


# --- data ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool() -> Iterator[Any]:
    """Two parser processes for a module (``ParserPool``; a 10 s parse limit)."""
    from veille.ingest.workers import ParserPool

    p = ParserPool(max_workers=2, timeout=10)
    yield p
    p.close()


@pytest.fixture
def mail_ids(store: Store) -> dict[str, str]:
    """The e-mail tests' entries (``tests.mail_support.populate``), half an hour old."""
    from tests.mail_support import NOW, populate

    return populate(store, NOW - timedelta(minutes=30))


@pytest.fixture
def api_client(store: Store, now: datetime) -> Iterator[Any]:
    """The app over a store filled by ``tests.api_support.fill`` (one client per test)."""
    from tests.api_support import client_for

    with client_for(store, now) as c:
        yield c


# --- CI -----------------------------------------------------------------------------------------


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
