"""A real RSS reader against a real server: Debian's newsboat reads veille's theme feeds.

``veille serve --no-scheduler`` runs as a subprocess on a pre-filled SQLite file; newsboat
runs non-interactively (``-x reload print-unread``) with its own HOME, cache and config.
Newsboat keys its cache on the item GUID across feeds, so an article carried by two
subscribed themes is one item only if its id is the same in both feeds (RSS guid = Atom id).
Newsboat 2.21 does not read JSON Feed: the themes are subscribed as RSS and as Atom.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import partial
from pathlib import Path

import feedparser
import pytest

from tests.conftest import free_port, veille_env, wait_until
from tests.servers import FeedServer
from tests.stores import postgres_schema
from veille.config.load import load_config
from veille.models import ParsedEntry
from veille.render.feeds import authority_of, item_id
from veille.rules.ruleset import RuleSet
from veille.store import Store

NEWSBOAT = shutil.which("newsboat")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NEWSBOAT is None, reason="newsboat absent (`make test` l'installe)"),
]

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
    env = veille_env(NO_PROXY="127.0.0.1", no_proxy="127.0.0.1", **extra)
    return {
        k: v for k, v in env.items() if k.lower() not in {"http_proxy", "https_proxy", "all_proxy"}
    }


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    config_path = tmp_path / "feeds.yaml"
    config_path.write_text(FEEDS_YAML, encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'veille.db'}"
    prefill(config_path, db_url, datetime.now(UTC))
    with serve(tmp_path, config_path, db_url) as srv:
        yield srv


@contextmanager
def serve(tmp_path: Path, config_path: Path, db_url: str, **env: str) -> Iterator[Server]:
    """``veille serve --no-scheduler`` on a free port, killed at the end whatever happens."""
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
                **env,
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    srv = Server(process, base_url, log)
    try:
        wait_healthy(srv, 30)
        yield srv
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def wait_healthy(srv: Server, timeout: float) -> None:
    def healthy() -> bool:
        if srv.process.poll() is not None:
            pytest.fail(f"veille serve exited ({srv.process.returncode}):\n{srv.log.read_text()}")
        with urllib.request.urlopen(srv.base_url + "/healthz", timeout=2) as r:
            return bool(r.status == 200)

    try:
        wait_until(healthy, timeout, "/healthz")
    except AssertionError:
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
    shared = item_id(authority_of(server.base_url), "cafe", "c2")

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


# --- an article that arrives late with an older date -------------------------------------------

LATE_YAML = """\
feeds:
  - id: cafe
    url: {url}
    title: Le Café pédagogique
tags:
  evaluation:
    label: Évaluation
    match: ["évaluation"]
digests:
  quotidien:
    title: La veille du jour
    window: 1d
"""


def source_rss(items: list[tuple[str, str, datetime]]) -> bytes:
    """An RSS 2.0 source: ``(guid, title, published)`` per item."""
    body = "".join(
        f"<item><title>{title}</title><link>https://cafe.example/{guid}</link>"
        f'<guid isPermaLink="false">{guid}</guid><pubDate>{format_datetime(when)}</pubDate>'
        f"<description>{title}, en détail.</description></item>"
        for guid, title, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Café</title><link>https://cafe.example/</link>{body}</channel></rss>"
    ).encode()


def veille_update(tmp_path: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "veille", "update", "--all"],
        cwd=tmp_path,
        env=clean_env(**env),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


@contextmanager
def database(tmp_path: Path, backend: str) -> Iterator[str]:
    """The URL of an empty database of ``backend`` (a SQLite file, or a PostgreSQL schema)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'veille.db'}"
    else:
        with postgres_schema() as url:
            yield url


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_late_article_with_an_older_date_reaches_newsboat(tmp_path: Path, backend: str) -> None:
    """newsboat sends both validators; libcurl drops a 200 whose Last-Modified is not newer
    than If-Modified-Since. A backdated article must still reach its cache."""
    now = datetime.now(UTC)
    items = [
        ("a1", "Une évaluation par compétences au collège", now - timedelta(hours=1)),
        ("a2", "Le numérique au lycée professionnel", now - timedelta(hours=2)),
    ]
    with FeedServer() as source, database(tmp_path, backend) as db_url:
        source.set("/feed", source_rss(items))
        config_path = tmp_path / "feeds.yaml"
        config_path.write_text(LATE_YAML.format(url=source.url("/feed")), encoding="utf-8")
        env = {
            "VEILLE_CONFIG": str(config_path),
            "VEILLE_DATABASE_URL": db_url,
            "VEILLE_ALLOW_HOSTS": source.host_port,
        }
        veille_update(tmp_path, env)
        with serve(tmp_path, config_path, env["VEILLE_DATABASE_URL"]) as srv:
            urls = [srv.base_url + "/digests/quotidien.rss", srv.base_url + "/feed.atom"]
            assert run_newsboat(tmp_path, urls).strip() == "2 unread articles"
            first = urllib.request.urlopen(urls[0], timeout=5)
            validators = {
                "If-Modified-Since": first.headers["Last-Modified"],
                "If-None-Match": first.headers["ETag"],
            }

            time.sleep(1.1)  # the test itself: Last-Modified has a one-second precision
            late = (
                "a3",
                "Un article publié hier soir, récupéré ce matin",
                now - timedelta(hours=5),
            )
            source.set("/feed", source_rss([*items, late]))
            veille_update(tmp_path, env)

            # Old validators, one at a time: a 200 with the article, never a 304.
            for name, value in validators.items():
                request = urllib.request.Request(urls[0], headers={name: value})
                with urllib.request.urlopen(request, timeout=5) as r:
                    assert r.status == 200, name
                    assert late[1].encode() in r.read()
                    assert parsedate_to_datetime(r.headers["Last-Modified"]) > (
                        parsedate_to_datetime(validators["If-Modified-Since"])
                    )

            assert run_newsboat(tmp_path, urls).strip() == "3 unread articles"
            with sqlite3.connect(tmp_path / "cache.db") as db:
                titles = {t for (t,) in db.execute("SELECT title FROM rss_item")}
            assert late[1] in titles
            assert srv.stop() == 0, srv.log.read_text()
