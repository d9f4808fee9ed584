"""Request bodies against a real server: capped while read, never read before
authentication, and a flood of bytes never raises the server's memory."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from fastapi.testclient import TestClient

from tests.conftest import free_port, veille_env, wait_until
from tests.mail_support import ADMIN, CONFIG, FEEDS_YAML, SECRET
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app
from veille.web.bodies import FORM_LIMIT, JSON_LIMIT

pytestmark = pytest.mark.slow  # end to end: `-m 'not slow'` for a quick loop

MiB = 1024 * 1024


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    store.migrate()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=store.url, admin_token=ADMIN, secret_key=SECRET
    )
    with TestClient(create_app(settings, store, CONFIG)) as c:
        yield c
    store.close()


class Counting:
    """A streamed request body (chunked). The test client buffers it whole before the app
    sees it: what the server reads is measured on a real server below."""

    def __init__(self, size: int, chunk: int = 16 * 1024) -> None:
        self.size, self.chunk, self.sent = size, chunk, 0

    def __iter__(self) -> Iterator[bytes]:
        while self.sent < self.size:
            self.sent += self.chunk
            yield b"a" * self.chunk


def test_a_form_over_the_cap_is_a_french_413(client: TestClient) -> None:
    body = "password=" + "x" * FORM_LIMIT
    r = client.post(
        "/curation/connexion",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
    )
    assert r.status_code == 413 and "Requête trop volumineuse" in r.text
    assert "64 Kio au plus" in r.text and r.headers["content-type"].startswith("text/html")


def test_a_streamed_json_body_over_the_cap_is_cut(client: TestClient) -> None:
    body = Counting(20 * JSON_LIMIT)
    r = client.put(
        "/api/v1/digests/hebdo/introduction",
        content=body,
        headers={"authorization": f"Bearer {ADMIN}", "content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json() == {
        "detail": "requête trop volumineuse : 1 Mio au plus"
    }


@pytest.mark.parametrize("authorization", ["", "Bearer mauvais-jeton"])
def test_an_api_write_is_authenticated_before_its_body_is_read(
    client: TestClient, authorization: str
) -> None:
    body = Counting(4 * MiB)
    headers = {"content-type": "application/json"}
    if authorization:
        headers["authorization"] = authorization
    r = client.put("/api/v1/digests/hebdo/introduction", content=body, headers=headers)
    assert r.status_code == (403 if authorization else 401)


def test_curation_without_a_session_reads_no_form(client: TestClient) -> None:
    body = Counting(FORM_LIMIT // 2)
    r = client.post(
        "/curation/hebdo",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
    )
    assert r.status_code == 401


# --- a real server under a flood ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """One ``veille serve`` for the floods: each measures its own growth after a warm-up."""
    tmp_path = tmp_path_factory.mktemp("serve")
    (tmp_path / "feeds.yaml").write_text(FEEDS_YAML, encoding="utf-8")
    port = free_port()
    env = veille_env(
        VEILLE_CONFIG=str(tmp_path / "feeds.yaml"),
        VEILLE_DATABASE_URL=f"sqlite:///{tmp_path / 'v.db'}",
        VEILLE_ADMIN_TOKEN=ADMIN,
        VEILLE_SECRET_KEY=SECRET,
    )
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "veille", "serve", "--no-scheduler", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: socket.create_connection(("127.0.0.1", port), timeout=1), 30, "serve")
        yield process, port
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()


def flood(port: int, method: str, path: str, declared: int | None, send: int) -> bytes:
    """POST ``send`` bytes (declaring ``declared``, or chunked) and return the answer."""
    length = f"Content-Length: {declared}\r\n" if declared is not None else ""
    chunked = "" if declared is not None else "Transfer-Encoding: chunked\r\n"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{length}{chunked}"
        "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n"
    )
    piece = b"a" * (256 * 1024)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head.encode())
        pushed = 0
        try:
            while pushed < send:
                data = piece if declared is not None else b"%x\r\n%s\r\n" % (len(piece), piece)
                conn.sendall(data)
                pushed += len(piece)
        except OSError:
            pass  # the server answered and closed: the rest is not wanted
        conn.settimeout(10)
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except OSError:
            pass  # the server closed the connection after answering: the answer is in
    return answer


@pytest.mark.parametrize(
    ("method", "path", "declared", "status"),
    [("POST", "/curation/connexion", 500 * MiB, b"413"),
     ("POST", "/curation/connexion", None, b"413"),
     ("POST", "/curation/hebdo", 500 * MiB, b"401"),
     ("PUT", "/api/v1/digests/hebdo/introduction", 500 * MiB, b"401"),
     ("PUT", "/api/v1/digests/hebdo/introduction", None, b"401")],
)  # fmt: skip
def test_a_flood_never_raises_the_servers_memory(
    server: tuple[subprocess.Popen[bytes], int],
    method: str,
    path: str,
    declared: int | None,
    status: bytes,
) -> None:
    process, port = server
    flood(port, method, path, declared, MiB)  # warm-up: the first request loads templates
    rss = psutil.Process(process.pid).memory_info().rss
    for _ in range(4):  # four clients, one after the other, 64 MiB each
        answer = flood(port, method, path, declared, 64 * MiB)
        assert answer.split(b"\r\n", 1)[0].split()[1] == status, answer[:300]
    grown = psutil.Process(process.pid).memory_info().rss - rss
    assert grown < 4 * MiB, f"{grown / MiB:.1f} MiB"
    assert process.poll() is None
    text = answer.split(b"\r\n\r\n", 1)[1].decode()
    assert (
        ("trop volumineuse" in text)
        if status == b"413"
        else ("onnexion" in text or "authentification" in text)
    )
