"""uvicorn as ``veille serve`` runs it (``web.server.server_config``): slow clients are cut
at the header deadline, normal ones are served meanwhile."""

from __future__ import annotations

import re
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import LiveServer
from tests.mail_support import CONFIG, settings
from veille.store import Store
from veille.web import create_app
from veille.web.server import MAX_CONCURRENCY, server_config

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop

DEADLINE = 1.0


@pytest.fixture
def port(tmp_path: Path) -> Iterator[int]:
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    store.migrate()
    app = create_app(settings(1), store, CONFIG)
    config = server_config(app, header_timeout=DEADLINE)
    assert config.limit_concurrency == MAX_CONCURRENCY
    with LiveServer(app, config) as live:
        yield live.port
    store.close()


def closed_by_server(conn: socket.socket, within: float) -> bool:
    conn.settimeout(within)
    try:
        return conn.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_slow_headers_are_cut_and_others_are_served(port: int) -> None:
    slow = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(30)]
    for conn in slow:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
    # Meanwhile a normal client is served.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
        assert r.status == 200
    started = time.monotonic()
    for conn in slow:
        conn.sendall(b"X-Lent: 1\r\n")  # a byte now and then does not help
    assert all(closed_by_server(c, DEADLINE + 3) for c in slow)
    assert time.monotonic() - started < DEADLINE + 3
    for conn in slow:
        conn.close()


def read_response(conn: socket.socket) -> bytes:
    """One whole response (headers and a Content-Length body): uvicorn writes the headers and
    the body apart, so a single ``recv`` may return only the headers."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, "closed before the end of the headers"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        chunk = conn.recv(65536)
        assert chunk, "closed before the end of the body"
        body += chunk
    assert len(body) == length, "more bytes than one response"
    return head


def test_a_kept_alive_connection_gets_the_same_deadline(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(conn).startswith(b"HTTP/1.1 200")
        conn.sendall(b"GET /healthz HTTP/1.1\r\n")  # the second request stalls
        assert closed_by_server(conn, DEADLINE + 3)


def test_a_complete_request_is_not_cut_while_it_runs(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        time.sleep(DEADLINE / 2)  # the test itself: time passes before a complete request
        conn.sendall(b"GET /digests/hebdo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")
