"""Exactly one active scheduler: two ``veille worker`` processes on one database, the second
waits, and takes over after the first is killed (SIGKILL) — on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import postgres_schema
from tests.feedgen import rss
from tests.servers import FeedServer
from veille.store import Store
from veille.store.lock import ADVISORY_KEY, SCHEMA_KEY


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'veille.db'}"
        return
    with postgres_schema() as url:
        yield url


def wait_for(path: Path, text: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(encoding="utf-8", errors="replace"):
            return True
        time.sleep(0.1)
    return False


def test_second_worker_takes_over(tmp_path: Path, database_url: str) -> None:
    with FeedServer() as server:
        server.set("/feed", rss(1, 3))
        (tmp_path / "feeds.yaml").write_text(
            f"feeds:\n  - id: source\n    url: {server.url('/feed')}\n", encoding="utf-8"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("VEILLE_")}
        env |= {
            "VEILLE_CONFIG": str(tmp_path / "feeds.yaml"),
            "VEILLE_DATABASE_URL": database_url,
            "VEILLE_ALLOW_HOSTS": server.host_port,
            "VEILLE_SCHEDULER_LOCK_RETRY": "1",
        }
        logs = [tmp_path / "worker1.log", tmp_path / "worker2.log"]
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for log in logs:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "veille", "worker"],
                        env=env,
                        stdout=log.open("wb"),
                        stderr=subprocess.STDOUT,
                    )
                )
                if len(procs) == 1:
                    assert wait_for(log, "planificateur actif", 30), log.read_text()
            assert wait_for(logs[1], "un autre planificateur est actif", 30), logs[1].read_text()
            assert wait_for(logs[0], "refresh done", 30), logs[0].read_text()
            assert len(server.requests_for("/feed")) == 1  # one scheduler, one fetch
            time.sleep(2)  # the second one keeps waiting while the first lives
            assert "planificateur actif" not in logs[1].read_text()

            procs[0].send_signal(signal.SIGKILL)
            procs[0].wait(timeout=10)
            assert wait_for(logs[1], "planificateur actif", 60), logs[1].read_text()
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        proc.kill()
        assert procs[1].returncode == 0, logs[1].read_text()


def test_a_lost_lock_stops_scheduling_and_one_scheduler_stays_active(tmp_path: Path) -> None:
    """PostgreSQL restarts or terminates the lock's session under a living worker: that worker
    stops scheduling before the other takes over; never two active schedulers."""
    with postgres_schema() as url, FeedServer() as server:
        server.set("/feed", rss(1, 3))
        (tmp_path / "feeds.yaml").write_text(
            f"feeds:\n  - id: source\n    url: {server.url('/feed')}\n", encoding="utf-8"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("VEILLE_")}
        env |= {
            "VEILLE_CONFIG": str(tmp_path / "feeds.yaml"),
            "VEILLE_DATABASE_URL": url,
            "VEILLE_ALLOW_HOSTS": server.host_port,
            "VEILLE_SCHEDULER_LOCK_RETRY": "1",
        }
        logs = [tmp_path / "worker1.log", tmp_path / "worker2.log"]
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for log in logs:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "veille", "worker"],
                        env=env,
                        stdout=log.open("wb"),
                        stderr=subprocess.STDOUT,
                    )
                )
                if len(procs) == 1:
                    assert wait_for(log, "planificateur actif", 30), log.read_text()
            assert wait_for(logs[1], "un autre planificateur est actif", 30), logs[1].read_text()

            # What a database restart does to the holder's session.
            admin = sa.create_engine(url)
            with admin.connect() as conn:
                killed = conn.exec_driver_sql(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
                    f"WHERE locktype = 'advisory' AND classid = {ADVISORY_KEY} AND granted "
                    f"AND objid = {SCHEMA_KEY}::oid"
                ).scalar()
            admin.dispose()
            assert killed == 1

            assert wait_for(logs[0], "verrou du planificateur perdu", 30), logs[0].read_text()
            assert wait_for(logs[1], "planificateur actif", 30), logs[1].read_text()
            # The first one waits again, as a second worker does.
            assert wait_for(logs[0], "un autre planificateur est actif", 30), logs[0].read_text()
            assert logs[0].read_text().count("planificateur actif\n") == 1
            assert "Traceback" not in logs[0].read_text() + logs[1].read_text()
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        proc.kill()
        assert [p.returncode for p in procs] == [0, 0], logs[0].read_text() + logs[1].read_text()


def test_the_lock_knows_when_its_session_is_gone() -> None:
    """What the scheduler checks before each job: a terminated session holds nothing."""
    with postgres_schema() as url:
        store = Store(url)
        try:
            lock = store.try_scheduler_lock()
            assert lock is not None and lock.held()
            assert store.try_scheduler_lock() is None  # one holder
            admin = sa.create_engine(url)
            with admin.connect() as conn:
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                    f" AND classid = {ADVISORY_KEY} AND objid = {SCHEMA_KEY}::oid"
                )
            admin.dispose()
            assert not lock.held()
            lock.release()  # no error on a dead session
            again = store.try_scheduler_lock()
            assert again is not None and again.held()
            again.release()
        finally:
            store.close()
