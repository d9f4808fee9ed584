"""Exactly one active scheduler: two ``veille worker`` processes on one database, the second
waits, and takes over after the first is killed (SIGKILL) — on SQLite and PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import veille_env, wait_until
from tests.feedgen import rss
from tests.servers import FeedServer, Response
from tests.stores import postgres_schema
from veille.store import Store
from veille.store.lock import ADVISORY_KEY, SCHEMA_KEY

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'veille.db'}"
        return
    with postgres_schema() as url:
        yield url


def wait_for(path: Path, text: str, timeout: float) -> bool:
    """Whether ``text`` appears in the log ``path`` within ``timeout`` seconds."""
    try:
        wait_until(lambda: text in path.read_text(encoding="utf-8", errors="replace"), timeout)
    except AssertionError:
        return False
    return True


@dataclass
class Workers:
    server: FeedServer
    procs: list[subprocess.Popen[bytes]]
    logs: list[Path]

    def text(self, i: int) -> str:
        return self.logs[i].read_text()


@contextmanager
def two_workers(tmp_path: Path, database_url: str, delay: float = 0.0) -> Iterator[Workers]:
    """Two ``veille worker`` processes started together on one database and one feed (that
    answers after ``delay`` seconds); the first is the active one and the second waits when
    this yields. Both are stopped (bounded) at the end."""
    with FeedServer() as server:
        server.route("/feed", Response(body=rss(1, 3), delay=delay))
        (tmp_path / "feeds.yaml").write_text(
            f"feeds:\n  - id: source\n    url: {server.url('/feed')}\n", encoding="utf-8"
        )
        env = veille_env(
            VEILLE_CONFIG=str(tmp_path / "feeds.yaml"),
            VEILLE_DATABASE_URL=database_url,
            VEILLE_ALLOW_HOSTS=server.host_port,
            VEILLE_SCHEDULER_LOCK_RETRY="1",
        )
        ready = Store(database_url)  # migrated first: the two start together, as replicas do
        ready.migrate()
        ready.close()
        workers = Workers(server, [], [tmp_path / "worker1.log", tmp_path / "worker2.log"])
        try:
            for log in workers.logs:
                workers.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "veille", "worker"],
                        env=env,
                        stdout=log.open("wb"),
                        stderr=subprocess.STDOUT,
                    )
                )
            # Either may win the lock: the winner becomes the first one.
            won = wait_until(
                lambda: [i + 1 for i in (0, 1) if "planificateur actif" in workers.text(i)],
                30,
                "an active scheduler",
            )
            if won == [2]:
                workers.procs.reverse()
                workers.logs.reverse()
            assert wait_for(workers.logs[1], "un autre planificateur est actif", 30), workers.text(
                1
            )
            yield workers
        finally:
            for proc in workers.procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        proc.kill()


def test_second_worker_takes_over(tmp_path: Path, database_url: str) -> None:
    with two_workers(tmp_path, database_url) as w:
        assert wait_for(w.logs[0], "refresh done", 30), w.text(0)
        assert len(w.server.requests_for("/feed")) == 1  # one scheduler, one fetch
        # The test itself: time passes (two lock retries, one a second) and the second one
        # keeps waiting while the first lives.
        time.sleep(2)
        assert "planificateur actif" not in w.text(1)

        w.procs[0].send_signal(signal.SIGKILL)
        w.procs[0].wait(timeout=10)
        assert wait_for(w.logs[1], "planificateur actif", 60), w.text(1)
    assert w.procs[1].returncode == 0, w.text(1)


def test_a_lost_lock_stops_scheduling_and_one_scheduler_stays_active(tmp_path: Path) -> None:
    """PostgreSQL restarts or terminates the lock's session under a living worker: that worker
    stops scheduling (its jobs check the lock first) and waits again; never two active."""
    with postgres_schema() as url, two_workers(tmp_path, url) as w:
        assert wait_for(w.logs[0], "refresh done", 30), w.text(0)
        assert terminate_lock_sessions(url) == 1  # what a database restart does to it
        assert wait_for(w.logs[0], "verrou du planificateur perdu", 30), w.text(0)
        assert wait_for(w.logs[1], "planificateur actif", 30), w.text(1)
        # The first one waits again, as a second worker does.
        assert wait_for(w.logs[0], "un autre planificateur est actif", 30), w.text(0)
        assert w.text(0).count("planificateur actif\n") == 1
        assert "Traceback" not in w.text(0) + w.text(1)
    assert [p.returncode for p in w.procs] == [0, 0], w.text(0) + w.text(1)


def test_a_refresh_cut_by_a_lost_lock_is_a_warning(tmp_path: Path) -> None:
    """The lock lost in the middle of a refresh (its feed slow to answer): the refresh is
    stopped and said so in one line, no job error with a traceback; the other worker takes
    over and fetches the feed itself."""
    with postgres_schema() as url, two_workers(tmp_path, url, delay=60) as w:
        wait_until(lambda: len(w.server.requests_for("/feed")) == 1, 30, "the first fetch")
        assert terminate_lock_sessions(url) == 1
        assert wait_for(w.logs[0], "verrou du planificateur perdu", 30), w.text(0)
        assert wait_for(w.logs[1], "planificateur actif", 30), w.text(1)
        assert wait_for(w.logs[0], "tâche interrompue : refresh", 30), w.text(0)
        wait_until(lambda: len(w.server.requests_for("/feed")) == 2, 30, "the second fetch")
    # The fence: the new holder schedules only after the old one has cut its refresh.
    cut = logged_at(w.text(0), "tâche interrompue : refresh")
    taken = logged_at(w.text(1), "verrou pris : attente de 2 s avant de planifier")
    active = logged_at(w.text(1), "planificateur actif")
    assert active - taken >= timedelta(seconds=2), w.text(1)  # twice the lock retry (1 s)
    assert cut < active, w.text(0) + w.text(1)
    for i in (0, 1):  # the second one's refresh, cut by its stop, is told the same way
        assert "WARNING veille.scheduler tâche interrompue : refresh" in w.text(i), w.text(i)
        assert "Traceback" not in w.text(i) and "CancelledError" not in w.text(i), w.text(i)
        assert "Error running job" not in w.text(i), w.text(i)
    assert [p.returncode for p in w.procs] == [0, 0], w.text(0) + w.text(1)


def logged_at(log: str, text: str) -> datetime:
    """When ``text`` was first logged (the log lines start with their time, to the ms)."""
    line = next(line for line in log.splitlines() if text in line)
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")


def terminate_lock_sessions(url: str) -> int:
    admin = sa.create_engine(url)
    try:
        with admin.connect() as conn:
            return int(
                conn.exec_driver_sql(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                    f" WHERE locktype = 'advisory' AND classid = {ADVISORY_KEY} AND granted"
                    f" AND objid = {SCHEMA_KEY}::oid"
                ).scalar()
                or 0
            )
    finally:
        admin.dispose()


def test_the_lock_knows_when_its_session_is_gone() -> None:
    """What the scheduler checks before each job: a terminated session holds nothing."""
    with postgres_schema() as url:
        store = Store(url)
        try:
            lock = store.try_scheduler_lock()
            assert lock is not None and lock.held()
            assert store.try_scheduler_lock() is None  # one holder
            assert terminate_lock_sessions(url) == 1
            assert not lock.held()
            lock.release()  # no error on a dead session
            again = store.try_scheduler_lock()
            assert again is not None and again.held()
            again.release()
        finally:
            store.close()
