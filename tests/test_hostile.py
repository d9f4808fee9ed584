"""Ingestion end to end, through the real command line: ~80 feeds mixing good sources with
hostile publishers, one ``veille update --all`` (time and whole-process-tree memory bounded),
then a second conditional run; and a SIGKILL in the middle of a 3,000-item feed."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import psutil
import pytest

from tests.conftest import veille_env, wait_until
from tests.corpus_files import corpus_root
from tests.feedgen import atom, rss
from tests.servers import FeedServer
from veille.ingest.parse.feed import parse

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop

MiB = 1024 * 1024

# Real captures from the shared corpus, served as good feeds (French ISO-8859-1 first).
CORPUS_FEEDS = [
    ("miniflux/parser/no_encoding_ISO-8859-1.xml", "application/rss+xml"),
    ("miniflux/parser/large_atom.xml", "application/atom+xml"),
    ("miniflux/parser/rdf_UTF8.xml", "application/rdf+xml"),
    ("rss-parser/uolNoticias.rss", "application/rss+xml"),
]

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>bombe</title><item><title>&lol9;</title>'
    b"<link>https://exemple.fr/bombe</link></item></channel></rss>"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<rss version="2.0"><channel><title>xxe</title><item><title>vol &xxe;</title>'
    b"<link>https://exemple.fr/xxe</link><description>&xxe;</description></item></channel></rss>"
)
# feedparser's e-mail regex backtracks for minutes on this author; the "@" sends the document
# to feedparser (veille.ingest.parse.fastfeed leaves authors with an address to it): the parse
# timeout must
# kill the worker and the other feeds must not notice.
CATASTROPHIC_AUTHOR = (
    b'<rss version="2.0"><channel><title>t</title><item><title>x</title><author>'
    + b"a" * 120_000
    + b"@</author></item></channel></rss>"
)


@dataclass
class Run:
    code: int
    seconds: float
    peak_rss: int
    stdout: str
    stderr: str


def veille(args: list[str], env: dict[str, str], timeout: float = 120) -> Run:
    """Run the CLI in a subprocess, sampling the RSS of its whole process tree."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "veille", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    root = psutil.Process(proc.pid)
    peak = 0
    deadline = started + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        total = 0
        with contextlib.suppress(psutil.Error):
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
        peak = max(peak, total)
        time.sleep(0.05)  # the sampling period of the memory measurement, not a wait
    if proc.poll() is None:
        proc.kill()
    out, err = proc.communicate(timeout=10)
    return Run(proc.returncode, time.monotonic() - started, peak, out, err)


def write_config(path: Path, feeds: dict[str, str]) -> None:
    lines = ["feeds:"]
    for feed_id, url in feeds.items():
        lines += [f"  - id: {feed_id}", f'    url: "{url}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def cli_env(tmp_path: Path, server: FeedServer) -> dict[str, str]:
    return veille_env(
        VEILLE_CONFIG=str(tmp_path / "feeds.yaml"),
        VEILLE_DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'veille.db'}",
        VEILLE_ALLOW_HOSTS=server.host_port,
        COLUMNS="200",
    )


def db_rows(tmp_path: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(tmp_path / "data" / "veille.db") as conn:
        return conn.execute(sql).fetchall()


def test_update_all_with_hostile_publishers(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    good: dict[str, int] = {}  # feed id -> expected entries
    failing: set[str] = set()
    feeds: dict[str, str] = {}
    with FeedServer() as server, FeedServer() as trap:
        trap.set("/feed", rss(999, 3))

        def add(feed_id: str, path: str) -> None:
            feeds[feed_id] = server.url(path)

        # 50 good sources: generated French feeds (some with script payloads), Atom, corpus.
        for i in range(40):
            n = 10 + i % 25
            server.set(f"/good/{i}", rss(i, n, start=now - timedelta(hours=1), hostile=i % 4 == 0))
            add(f"bon-{i}", f"/good/{i}")
            good[f"bon-{i}"] = n
        for i in range(6):
            server.set(
                f"/atom/{i}",
                atom(100 + i, 8, start=now - timedelta(hours=1)),
                content_type="application/atom+xml",
            )
            add(f"atom-{i}", f"/atom/{i}")
            good[f"atom-{i}"] = 8
        for j, (rel, ctype) in enumerate(CORPUS_FEEDS):
            body = (corpus_root() / rel).read_bytes()
            server.set(f"/corpus/{j}", body, content_type=ctype)
            add(f"corpus-{j}", f"/corpus/{j}")
            good[f"corpus-{j}"] = len(
                parse(server.url(f"/corpus/{j}"), body, {"content-type": ctype}, now).entries
            )
        server.gzip("/gz", rss(500, 12, start=now - timedelta(hours=1)))
        add("gzip-ok", "/gz")
        good["gzip-ok"] = 12

        # Hostile publishers that must end in status "error".
        for k in range(3):
            server.trickle(f"/trickle/{k}", size=3600, interval=1.0)
            add(f"goutte-a-goutte-{k}", f"/trickle/{k}")
        server.oversized("/huge/1", size=50 * MiB)
        server.oversized("/huge/2", size=50 * MiB, content_length=False)
        add("enorme-1", "/huge/1")
        add("enorme-2", "/huge/2")
        server.gzip_bomb("/bomb/1")
        server.gzip_bomb("/bomb/2", size=200 * MiB)
        add("bombe-gzip-1", "/bomb/1")
        add("bombe-gzip-2", "/bomb/2")
        server.redirect("/loop/a", "/loop/b")
        server.redirect("/loop/b", "/loop/a")
        add("boucle", "/loop/a")
        server.redirect_chain("/chain", 7, "/good/0")
        add("trop-de-redirections", "/chain/0")
        server.redirect("/to-trap", trap.url("/feed"), 302)
        add("vers-autre-port", "/to-trap")
        server.redirect("/to-file", "file:///etc/passwd")
        add("vers-fichier", "/to-file")
        feeds["port-interdit"] = trap.url("/feed")
        feeds["localhost-interdit"] = f"http://localhost:{trap.port}/feed"
        for status in (403, 404, 500, 502):
            server.error(f"/status/{status}", status)
            add(f"http-{status}", f"/status/{status}")
        server.error("/status/410", 410)
        add("disparu", "/status/410")
        server.error("/status/503", 503, retry_after="3600")
        add("indisponible", "/status/503")
        server.error(
            "/status/429", 429, retry_after=format_datetime(now + timedelta(hours=2), usegmt=True)
        )
        add("trop-de-requetes", "/status/429")
        server.set("/author", CATASTROPHIC_AUTHOR)
        add("auteur-piege", "/author")
        server.set("/garbage", bytes(range(256)) * 40, content_type="application/rss+xml")
        add("octets-au-hasard", "/garbage")
        server.set("/empty", b"", content_type="application/rss+xml")
        add("vide", "/empty")
        server.set(
            "/page",
            b"<!doctype html><title>Accueil</title><p>Pas de flux ici.",
            content_type="text/html",
        )
        add("page-sans-flux", "/page")
        failing |= set(feeds) - set(good)

        # Hostile but readable: must be stored safely (no expansion, no file content).
        server.set("/laughs", BILLION_LAUGHS)
        add("milliard-de-rires", "/laughs")
        server.set("/xxe", EXTERNAL_ENTITY)
        add("entite-externe", "/xxe")
        server.set(
            "/latin1-declared-utf8",
            (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                "<title>Éducation</title><item><title>Élèves et écrans : quelle régulation ?"
                "</title><link>https://exemple.fr/e</link></item></channel></rss>"
            ).encode("latin-1"),
        )
        add("encodage-menteur", "/latin1-declared-utf8")
        assert len(feeds) >= 75

        write_config(tmp_path / "feeds.yaml", feeds)
        # Shorter deadlines than the defaults (20 s to fetch, 10 s to parse): the same cuts,
        # sooner. Every feed is on one loopback host: as if they were on different hosts
        # (the per-host limit of 2 would queue the three trickles one after another).
        env = cli_env(tmp_path, server) | {
            "VEILLE_FETCH_TIMEOUT": "5",
            "VEILLE_PARSE_TIMEOUT": "3",
            "VEILLE_PER_HOST_CONCURRENCY": "8",
        }
        first = veille(["update", "--all"], env)

        assert first.code == 1, first.stderr  # some feeds failed
        assert first.seconds < 60, f"took {first.seconds:.1f} s"
        assert first.peak_rss < 400 * MiB, f"peak RSS {first.peak_rss / MiB:.0f} MiB"
        print(
            f"update --all: {len(feeds)} feeds in {first.seconds:.1f} s, "
            f"peak RSS {first.peak_rss / MiB:.0f} MiB"
        )

        status = dict(db_rows(tmp_path, "SELECT id, status FROM feed"))
        errors = dict(db_rows(tmp_path, "SELECT id, last_error FROM feed"))
        counts = dict(db_rows(tmp_path, "SELECT feed_id, count(*) FROM entry GROUP BY feed_id"))
        for feed_id, expected in good.items():
            assert status[feed_id] == "ok", (feed_id, errors[feed_id])
            assert counts.get(feed_id) == expected, feed_id
        for feed_id in failing:
            assert status[feed_id] in {"error", "disabled"}, (feed_id, status[feed_id])
            assert errors[feed_id] and len(errors[feed_id]) < 300, feed_id
        assert status["disparu"] == "disabled"
        assert status["milliard-de-rires"] == "ok" or errors["milliard-de-rires"]

        # Nothing outside the allow-list was contacted.
        assert trap.requests == []

        # Nothing executable was stored.
        text = " ".join(
            " ".join(str(c) for c in row)
            for row in db_rows(
                tmp_path, "SELECT title, author, summary_html, content_html, url FROM entry"
            )
        )
        assert not re.search(r"<\s*(script|iframe|svg|object|embed)", text, re.I)
        assert not re.search(r"\son[a-z]+\s*=", text, re.I)
        assert not re.search(r"(href|src)\s*=\s*[\"']?\s*(javascript|data):", text, re.I)
        dangerous = " ".join(
            " ".join(str(c) for c in row)
            for row in db_rows(
                tmp_path,
                "SELECT title, summary_html, content_html FROM entry "
                "WHERE feed_id IN ('milliard-de-rires', 'entite-externe')",
            )
        )
        assert "lollol" not in dangerous and "root:" not in dangerous and len(dangerous) < 200
        assert "Élèves et écrans" in text

        # Second run: conditional requests; unchanged feeds cost one 304 and no entry write.
        changed_before = db_rows(tmp_path, "SELECT id, changed_at FROM entry ORDER BY id")
        server.clear_requests()
        second = veille(["update"], env)  # only the due feeds
        changed_after = db_rows(tmp_path, "SELECT id, changed_at FROM entry ORDER BY id")
        assert changed_after == changed_before
        paths = [r.path for r in server.requests]
        # Failing feeds back off (or wait for Retry-After): none is refetched early.
        assert not any(p.startswith(("/status", "/trickle", "/huge", "/bomb")) for p in paths)
        assert second.code == 0, second.stdout + second.stderr
        # Named explicitly (not due yet): every good feed answers 304 to its validators.
        server.clear_requests()
        third = veille(["update", *good], env)
        assert third.code == 0, third.stdout + third.stderr
        good_requests = [r for r in server.requests if r.path.startswith("/good/")]
        assert len(good_requests) == 40
        assert len(server.requests) == len(good)  # one request each, no redirect, no retry
        assert all(
            "If-None-Match" in r.headers or "If-Modified-Since" in r.headers for r in good_requests
        )
        assert "inchangé" in third.stdout
        assert db_rows(tmp_path, "SELECT id, changed_at FROM entry ORDER BY id") == changed_before
        assert trap.requests == []


# Six transactions of 500 entries (veille.store.entries.BATCH): the kill comes right after the
# first commit, with five still to come.
BIG = 3000


def test_sigkill_in_the_middle_of_a_large_feed(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.set("/big", rss(7, BIG, paragraphs=2))
        write_config(tmp_path / "feeds.yaml", {"gros": server.url("/big")})
        env = cli_env(tmp_path, server)
        proc = subprocess.Popen(
            [sys.executable, "-m", "veille", "update", "--all"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        db = tmp_path / "data" / "veille.db"

        def stored() -> int:
            try:
                return int(db_rows(tmp_path, "SELECT count(*) FROM entry")[0][0])
            except sqlite3.OperationalError:
                return 0  # not created or not migrated yet

        seen = wait_until(
            lambda: (db.exists() and stored()) or proc.poll() is not None,
            60,
            "the first entries",
            interval=0.005,
        )
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: CLI and parser processes
        proc.wait(timeout=10)
        assert seen is not True and 0 < seen < BIG, f"kill happened at {seen} entries"

        rerun = veille(["update", "--all"], env)
        assert rerun.code == 0, rerun.stdout + rerun.stderr
        assert db_rows(tmp_path, "PRAGMA integrity_check") == [("ok",)]
        assert db_rows(tmp_path, "SELECT count(*), count(DISTINCT key) FROM entry") == [(BIG, BIG)]
        assert db_rows(tmp_path, "SELECT entry_count FROM feed") == [(BIG,)]


@pytest.mark.parametrize("args", [["check"], ["feeds"]])
def test_cli_refuses_an_invalid_feeds_yaml(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n  - id: a\n    url: ftp://x\n  - id: a\n    titel: x\n"
    )
    env = veille_env(
        VEILLE_CONFIG=str(tmp_path / "feeds.yaml"),
        VEILLE_DATABASE_URL=f"sqlite:///{tmp_path / 'v.db'}",
    )
    run = veille(args, env, timeout=30)
    assert run.code == 2
    assert "feeds.yaml:3" in run.stderr
