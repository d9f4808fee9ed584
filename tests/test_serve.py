"""``veille serve`` as a user runs it: the scheduler fetches at once, the API answers, the
database file appears, Ctrl-C (SIGINT) stops everything cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port, veille_env, wait_until
from tests.feedgen import rss
from tests.servers import FeedServer

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop


def get_json(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def test_serve_with_scheduler_then_ctrl_c(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.set("/feed", rss(1, 6))
        (tmp_path / "feeds.yaml").write_text(
            f"feeds:\n  - id: source\n    url: {server.url('/feed')}\n", encoding="utf-8"
        )
        port = free_port()
        env = veille_env(VEILLE_ALLOW_HOSTS=server.host_port)
        proc = subprocess.Popen(
            [sys.executable, "-m", "veille", "serve", "--port", str(port)],
            cwd=tmp_path,  # default settings: ./feeds.yaml and data/veille.db
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:

            def first_update() -> list[dict]:  # type: ignore[type-arg]
                feeds = get_json(f"http://127.0.0.1:{port}/api/v1/feeds")["feeds"]
                return feeds if feeds and feeds[0]["status"] == "ok" else []  # type: ignore[no-any-return]

            feeds = wait_until(first_update, 30, "the first update")
            assert feeds[0]["entries"] == 6
            entries = get_json(f"http://127.0.0.1:{port}/api/v1/entries")["entries"]
            assert len(entries) == 6
            assert (tmp_path / "data" / "veille.db").exists()
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                output, _ = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate()
                raise AssertionError("serve did not stop on Ctrl-C:\n" + output) from None
        assert proc.returncode == 0, output
        assert "Traceback" not in output, output


def test_a_second_serve_on_a_taken_port_says_so_in_french(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n  - id: a\n    url: https://a.example/feed\n", encoding="utf-8"
    )
    env = veille_env(VEILLE_DATABASE_URL=f"sqlite:///{tmp_path / 'v.db'}")
    # another process holds the port, as a first `make run` would
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import socket, sys, time\n"
         "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
         "print(s.getsockname()[1], flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        port = int(holder.stdout.readline())
        second = subprocess.run(
            [sys.executable, "-m", "veille", "serve", "--port", str(port), "--no-scheduler"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.kill()
        holder.wait(10)
    assert second.returncode == 2, second.stderr
    assert f"Le port {port} est déjà utilisé sur 127.0.0.1" in " ".join(second.stderr.split())
    for english in ("Traceback", "Errno", "address already in use", "Uvicorn", "ERROR"):
        assert english not in second.stderr + second.stdout, english
    assert not (tmp_path / "v.db").exists()  # nothing was opened
