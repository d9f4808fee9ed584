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

from tests.conftest import postgres_schema
from tests.feedgen import rss
from tests.servers import FeedServer


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
