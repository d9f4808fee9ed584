"""Real Google Reader clients against a real ``veille serve`` on loopback: the ``google-reader``
library (PyPI) and Debian's newsboat in its « FeedHQ » mode. Each reads what veille's store
says, and what each marks is what the store then holds — for its own account only.

newsboat 2.21 writes its states only from its interactive interface (``-x`` has ``reload``
and ``print-unread`` alone): it runs in a pseudo-terminal and gets keys, as a person would.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import google_reader
import pytest

from tests.conftest import wait_until
from tests.greader_support import PASSWORDS, add_reader
from tests.test_newsboat import ARTICLES, FEEDS_YAML, Server, clean_env, prefill, serve
from veille.models import Selection
from veille.store import Store

NEWSBOAT = shutil.which("newsboat")
SECRET = "une-clé-secrète-de-test-assez-longue"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
READING_LIST = "user/-/state/com.google/reading-list"
pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, Store]]:
    """``veille serve`` on a SQLite file with four articles (c1, c2 from « cafe », l1, l2
    from « ludo ») and the accounts ana and ben; and the store, opened beside it."""
    config_path = tmp_path / "feeds.yaml"
    config_path.write_text(FEEDS_YAML, encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'veille.db'}"
    now = datetime.now(UTC)
    prefill(config_path, db_url, now)
    store = Store(db_url)
    for name in PASSWORDS:
        add_reader(store, name, now)
    try:
        with serve(tmp_path, config_path, db_url, VEILLE_SECRET_KEY=SECRET) as server:
            yield server, store
    finally:
        store.close()


def unread_keys(store: Store, name: str, feed: str | None = None) -> set[str]:
    account = store.account(name)
    assert account is not None
    chosen = Selection(reader=account.reader, unread_only=True, feeds=(feed,) if feed else ())
    return {e.key for e in store.list_entries(chosen).entries}


# --- the google-reader library ------------------------------------------------------------------


def test_google_reader_library_logs_in_lists_pages_and_marks(
    served: tuple[Server, Store],
) -> None:
    server, store = served
    client = google_reader.Client(server.base_url + "/api/greader")
    with pytest.raises(google_reader.AuthenticationError):
        client.login("ana", "pas-le-bon")
    auth = client.login("ana", PASSWORDS["ana"])
    csrf = client.get_token(auth)
    assert client.get_user_info(auth).user_name == "Ana"
    subscriptions = client.list_subscriptions(auth)
    assert {s.id for s in subscriptions} == {"feed/cafe", "feed/ludo"}
    labels = {t.label for t in client.list_tags(auth) if t.label}
    assert {"Évaluation", "Intelligence artificielle", "La veille du jour"} <= labels

    # Every unread id, two per page, through continuations (bounded).
    ids: list[str] = []
    continuation: str | None = None
    for _ in range(10):
        page = client.get_stream_items_ids(
            auth, READING_LIST, limit=2, exclude_target=READ, continuation=continuation
        )
        ids += [ref.id for ref in page.item_refs]
        continuation = page.continuation or None
        if continuation is None:
            break
    assert len(ids) == len(set(ids)) == len(ARTICLES)

    contents = client.get_stream_items_contents(auth, csrf, ids)
    by_title = {item.title: item for item in contents.items}
    assert set(by_title) == {title for _, title in ARTICLES.values()}
    kahoot = by_title["Kahoot en classe"]
    assert kahoot.origin.stream_id == "feed/cafe" and kahoot.canonical[0].href
    assert "user/-/label/Évaluation" in kahoot.categories

    # States written by the library are the store's, for ana only.
    assert client.edit_tags(auth, csrf, [kahoot.id], add_tags=[READ, STARRED])
    assert "c1" not in unread_keys(store, "ana") and "c1" in unread_keys(store, "ben")
    assert client.mark_all_as_read(auth, csrf, "feed/ludo")
    assert unread_keys(store, "ana") == {"c2"}
    assert unread_keys(store, "ben") == set(ARTICLES)
    starred = client.get_stream_items_ids(auth, STARRED, limit=10)
    assert [ref.id for ref in starred.item_refs] == [str(int(kahoot.id.rsplit("/", 1)[1], 16))]

    # And the other way: what the store marks is what the library reads.
    ana = store.account("ana")
    assert ana is not None
    c2 = next(e for e in store.list_entries(Selection()).entries if e.key == "c2")
    store.mark(ana.id, [c2.id], read=True, now=datetime.now(UTC))
    assert client.get_stream_items_ids(auth, READING_LIST, exclude_target=READ).item_refs == []

    # A disabled account: its token stops at once, its password too.
    store.disable_account("ana", datetime.now(UTC))
    with pytest.raises(google_reader.AuthenticationError):
        client.get_user_info(auth)
    with pytest.raises(google_reader.AuthenticationError):
        client.login("ana", PASSWORDS["ana"])
    assert "Traceback" not in server.log.read_text()


# --- newsboat -------------------------------------------------------------------------------------


def newsboat_files(tmp_path: Path, server: Server, name: str) -> Path:
    """newsboat's configuration for the account ``name`` (its own folder: cache, HOME)."""
    folder = tmp_path / f"newsboat-{name}"
    (folder / "home").mkdir(parents=True)
    (folder / "urls").write_text("", encoding="utf-8")
    # A slash at the end of the URL, as people type it: newsboat then asks for
    # /api/greader//accounts/ClientLogin, which veille forgives.
    (folder / "config").write_text(
        f'urls-source "feedhq"\n'
        f'feedhq-url "{server.base_url}/api/greader/"\n'
        f'feedhq-login "{name}"\n'
        f'feedhq-password "{PASSWORDS[name]}"\n'
        # Its special feeds point at feedhq.org whatever the URL: not for a veille server.
        "feedhq-show-special-feeds no\n"
        "feedhq-min-items 50\n"
        "download-timeout 10\n"
        "confirm-exit no\n",
        encoding="utf-8",
    )
    return folder


def newsboat_args(folder: Path) -> list[str]:
    assert NEWSBOAT is not None
    return [NEWSBOAT, "-u", "urls", "-c", "cache.db", "-C", "config"]


def newsboat_unread(folder: Path) -> str:
    """``newsboat -x reload print-unread``: what it counts after syncing with veille."""
    result = subprocess.run(
        [*newsboat_args(folder), "-x", "reload", "print-unread"],
        cwd=folder,
        env=clean_env(HOME=str(folder / "home"), TERM="dumb"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode().strip()


def newsboat_keys(folder: Path, keys: list[str], done: object, timeout: float = 20) -> None:
    """Interactive newsboat in a pseudo-terminal: its list of sources awaited, then each key
    in turn once the screen it drew has settled, then ``done()`` awaited (bounded) before it
    quits with ``q`` keys."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: newsboat itself
        os.chdir(folder)
        env = clean_env(HOME=str(folder / "home"), TERM="xterm", COLUMNS="120", LINES="40")
        os.execve(newsboat_args(folder)[0], newsboat_args(folder), env)
    screen = folder / "screen.log"  # what it showed: to read when this fails
    try:
        _drain(fd, screen, until=SOURCES_SCREEN)  # its first screen: the sources, loaded
        for key in keys:
            os.write(fd, key.encode())
            _drain(fd, screen)
        wait_until(done, timeout, f"newsboat's change in veille (its screen: {screen})")  # type: ignore[arg-type]
        for _ in range(4):
            os.write(fd, b"q")
            _drain(fd, screen)
    finally:
        deadline = time.monotonic() + 10
        while os.waitpid(pid, os.WNOHANG) == (0, 0):  # reaped once it has quit
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.1)
        os.close(fd)


# The help line under newsboat's list of sources: drawn once its sources are loaded.
SOURCES_SCREEN = b"q:Quit ENTER:Open"


def _drain(
    fd: int, screen: Path, until: bytes = b"", quiet: float = 0.2, limit: float = 15.0
) -> None:
    """Read what the terminal shows (a full pty would block newsboat) until it has drawn
    something (``until`` among it, when given) and then nothing for ``quiet`` seconds: it
    waits for a key. Bounded by ``limit``; over when newsboat has quit. A key typed sooner
    would still be read in its turn (the terminal keeps it): this paces the keys as a
    person would, without fixed pauses."""
    end = time.monotonic() + limit
    shown = b""
    with screen.open("ab") as out:
        while (left := end - time.monotonic()) > 0:
            settled = bool(shown) and until in shown
            ready, _, _ = select.select([fd], [], [], min(left, quiet) if settled else left)
            if not ready:
                if settled:
                    return
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return  # newsboat has quit: its terminal is closed
            if not chunk:
                return
            out.write(chunk)
            shown += chunk


@pytest.mark.skipif(NEWSBOAT is None, reason="newsboat absent (`make test` l'installe)")
def test_newsboat_syncs_read_state_both_ways(tmp_path: Path, served: tuple[Server, Store]) -> None:
    server, store = served
    ana, ben = newsboat_files(tmp_path, server, "ana"), newsboat_files(tmp_path, server, "ben")
    assert newsboat_unread(ana) == "4 unread articles"

    # veille → newsboat: what the store marks read, newsboat counts read at its next reload.
    account = store.account("ana")
    assert account is not None
    l2 = next(e for e in store.list_entries(Selection()).entries if e.key == "l2")
    store.mark(account.id, [l2.id], read=True, now=datetime.now(UTC))
    assert newsboat_unread(ana) == "3 unread articles"
    store.mark(account.id, [l2.id], read=False, now=datetime.now(UTC))  # and back
    assert newsboat_unread(ana) == "4 unread articles"

    # newsboat → veille: reading an article (Enter on the first source, Enter on its first
    # article, « q » back: newsboat marks it read as it leaves the article) sends edit-tag.
    newsboat_keys(ana, ["\r", "\r", "q"], lambda: unread_keys(store, "ana") == {"c2", "l1", "l2"})
    assert unread_keys(store, "ben") == set(ARTICLES)  # ben's state untouched
    # « A » on a source (the first: « cafe ») marks it all read (mark-all-as-read).
    newsboat_keys(ana, ["A"], lambda: unread_keys(store, "ana") == {"l1", "l2"})
    # « n » goes to the next source with unread articles (« ludo »), Enter opens it, « N »
    # toggles its first article (the newest, l1) read (edit-tag).
    newsboat_keys(ana, ["n", "\r", "N"], lambda: unread_keys(store, "ana") == {"l2"})
    assert newsboat_unread(ana) == "1 unread articles"
    assert newsboat_unread(ben) == "4 unread articles"

    log = server.log.read_text()
    for path in ("//accounts/ClientLogin", "/reader/api/0/subscription/list",
                 "/reader/atom/feed", "/reader/api/0/edit-tag",
                 "/reader/api/0/mark-all-as-read"):  # fmt: skip
        assert path in log, (path, log[-3000:])
    assert "Traceback" not in log
