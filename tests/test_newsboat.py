"""A real RSS reader against a real server: Debian's newsboat reads veille's theme feeds.

``veille serve --no-scheduler`` runs as a subprocess on a pre-filled SQLite file; newsboat
runs non-interactively (``-x reload print-unread``) with its own HOME, cache and config.
Newsboat keys its cache on the item GUID across feeds, so an article carried by two
subscribed themes is one item only if its id is the same in both feeds (RSS guid = Atom id).
Newsboat 2.21 does not read JSON Feed: the themes are subscribed as RSS and as Atom.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import feedparser
import pytest

from veille.config import load_config
from veille.models import ParsedEntry
from veille.render.feeds import item_id
from veille.store import Store
from veille.tag import RuleSet

NEWSBOAT = shutil.which("newsboat")
pytestmark = pytest.mark.skipif(NEWSBOAT is None, reason="newsboat absent (`make test` l'installe)")

FEEDS_YAML = """\
feeds:
  - id: cafe
    url: https://cafe.example/feed
    title: Le Café pédagogique
  - id: ludo
    url: https://ludo.example/feed
tags:
  evaluation:
    label: Évaluation
    match: ["évaluation", "Kahoot"]
  ia:
    label: Intelligence artificielle
    match: ["IA"]
digests:
  quotidien:
    title: La veille du jour
    window: 1d
"""

# key -> (feed, title): the titles decide the themes (rules above).
ARTICLES = {
    "c1": ("cafe", "Kahoot en classe"),  # evaluation
    "c2": ("cafe", "L'IA au service de l'évaluation"),  # evaluation + ia: shared
    "l1": ("ludo", "Un assistant IA pour la vie scolaire"),  # ia
    "l2": ("ludo", "Rien à voir avec les thèmes"),  # neither
}
THEMES = ("/tags/ia.rss", "/tags/evaluation.atom")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def stop(self, timeout: float = 15) -> int:
        """SIGINT, as Ctrl-C or ``docker stop`` would; bounded."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            pytest.fail(f"veille serve ignored SIGINT for {timeout} s:\n{self.log.read_text()}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prefill(config_path: Path, db_url: str, now: datetime) -> None:
    config = load_config(config_path)
    rules = RuleSet.from_config(config)
    store = Store(db_url)
    try:
        store.migrate()
        store.sync_feeds(config.feeds)
        for hours, (key, (feed, title)) in enumerate(ARTICLES.items(), start=1):
            entry = ParsedEntry(
                key=key,
                guid=key,
                url=f"https://{feed}.example/{key}",
                title=title,
                summary_html=f"<p>{title}</p>",
                content_html=f"<p>{title}, en détail.</p>",
                published=now - timedelta(hours=hours),
            )
            store.save_entries(feed, [entry], now=now, tagger=partial(rules.tag_entry, feed))
    finally:
        store.close()


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without VEILLE_* settings nor proxies (loopback only)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("VEILLE_")
        and k.lower() not in {"http_proxy", "https_proxy", "all_proxy"}
    }
    return env | {"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"} | extra


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    config_path = tmp_path / "feeds.yaml"
    config_path.write_text(FEEDS_YAML, encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'veille.db'}"
    prefill(config_path, db_url, datetime.now(UTC))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "veille", "serve", "--no-scheduler", "--port", str(port)],
            cwd=tmp_path,  # no stray .env
            env=clean_env(
                VEILLE_CONFIG=str(config_path),
                VEILLE_DATABASE_URL=db_url,
                VEILLE_BASE_URL=base_url,
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    srv = Server(process, base_url, log)
    try:
        wait_healthy(srv, deadline=time.monotonic() + 30)
        yield srv
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def wait_healthy(srv: Server, deadline: float) -> None:
    while time.monotonic() < deadline:
        if srv.process.poll() is not None:
            pytest.fail(f"veille serve exited ({srv.process.returncode}):\n{srv.log.read_text()}")
        try:
            with urllib.request.urlopen(srv.base_url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"veille serve not healthy in time:\n{srv.log.read_text()}")


def run_newsboat(tmp_path: Path, urls: list[str]) -> str:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (tmp_path / "urls").write_text("\n".join(urls) + "\n", encoding="utf-8")
    (tmp_path / "config").write_text("download-timeout 10\n", encoding="utf-8")
    assert NEWSBOAT is not None
    result = subprocess.run(
        [NEWSBOAT, "-u", "urls", "-c", "cache.db", "-C", "config", "-x", "reload", "print-unread"],
        cwd=tmp_path,
        env=clean_env(HOME=str(home), TERM="dumb"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode()


def test_newsboat_reads_two_themes_and_shows_the_shared_article_once(
    tmp_path: Path, server: Server
) -> None:
    urls = [server.base_url + path for path in THEMES]
    shared = item_id(server.base_url, "cafe", "c2")

    # Both themes carry the shared article, under the same id (RSS guid, Atom id).
    for url in urls:
        with urllib.request.urlopen(url, timeout=5) as r:
            parsed = feedparser.parse(r.read())
        assert not parsed.bozo and shared in {e.id for e in parsed.entries}, url

    output = run_newsboat(tmp_path, urls)
    # ia: c2, l1; evaluation: c1, c2 -> three distinct articles, not four.
    assert output.strip() == "3 unread articles", output

    with sqlite3.connect(tmp_path / "cache.db") as db:
        rows = db.execute("SELECT guid, title, feedurl FROM rss_item").fetchall()
        feeds = {r[0] for r in db.execute("SELECT rssurl FROM rss_feed")}
    assert feeds == set(urls)
    assert sorted(title for _, title, _ in rows) == sorted(
        ARTICLES[k][1] for k in ("c1", "c2", "l1")
    )
    guids = [guid for guid, _, _ in rows]
    assert len(guids) == len(set(guids)) == 3
    assert shared in guids
    assert all(g.startswith("tag:127.0.0.1,2026:") for g in guids)

    # A second reload finds nothing new (same ids, nothing duplicated).
    assert run_newsboat(tmp_path, urls).strip() == "3 unread articles"

    assert server.stop() == 0, server.log.read_text()
    assert "Traceback" not in server.log.read_text()
