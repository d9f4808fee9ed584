"""Guessing is slowed down: the login form and the API token, per client and overall; login
forms are single use; short secrets are refused at start."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tests.browser import LiveServer
from tests.conftest import veille_env
from tests.mail_support import ADMIN, CONFIG, settings
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app
from veille.web.guard import CAP, FREE, GLOBAL, WINDOW, Guard, Once
from veille.web.server import server_config


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_failure_past_the_free_ones_doubles_the_wait() -> None:
    clock = FakeClock()
    guard = Guard(clock)
    waits = []
    for _ in range(FREE + 5):
        guard.failed("a")
        waits.append(guard.wait("a"))
    assert waits == [0] * FREE + [1, 2, 4, 8, 16]
    assert guard.wait("b") == 0  # per client
    clock.now += 16
    assert guard.wait("a") == 0
    for _ in range(30):
        guard.failed("a")
    assert guard.wait("a") == CAP  # capped
    guard.succeeded("a")
    assert guard.wait("a") == 0


def test_guessing_from_many_addresses_is_slowed_for_everyone() -> None:
    clock = FakeClock()
    guard = Guard(clock)
    for i in range(GLOBAL):
        guard.failed(f"10.0.{i // 250}.{i % 250}")
    assert guard.wait("192.0.2.1") == WINDOW  # a newcomer waits for the window
    clock.now += WINDOW
    assert guard.wait("192.0.2.1") == 0


def test_a_token_is_spent_once() -> None:
    clock = FakeClock()
    once = Once(clock)
    assert once.spend("t", 2000.0) and not once.spend("t", 2000.0)
    clock.now = 3000.0
    assert once.spend("u", 4000.0)  # "t" expired and was forgotten


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    store.migrate()
    return TestClient(create_app(settings(1), store, CONFIG), base_url="https://testserver")


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_login_guesses_are_slowed_and_forms_are_single_use(client: TestClient) -> None:
    statuses = []
    for _ in range(FREE + 2):
        token = _csrf(client.get("/curation/connexion").text)
        r = client.post("/curation/connexion", data={"csrf": token, "password": "essai"})
        statuses.append(r.status_code)
    assert statuses == [401] * (FREE + 1) + [429]
    assert r.headers["retry-after"] == "1" and "essais : réessayez dans 1 seconde." in r.text
    # Waiting: even the right password is not checked.
    token = _csrf(client.get("/curation/connexion").text)
    r = client.post("/curation/connexion", data={"csrf": token, "password": ADMIN})
    assert r.status_code == 429


def test_a_login_form_cannot_be_replayed(client: TestClient) -> None:
    token = _csrf(client.get("/curation/connexion").text)
    cookie = client.cookies.get("veille_login")
    r = client.post("/curation/connexion", data={"csrf": token, "password": "essai"})
    assert r.status_code == 401
    client.cookies.set("veille_login", cookie or "", path="/curation")  # the old form again
    r = client.post("/curation/connexion", data={"csrf": token, "password": ADMIN})
    assert r.status_code == 403 and "Formulaire expiré" in r.text


def test_api_token_guesses_are_slowed(client: TestClient) -> None:
    statuses = []
    for _ in range(FREE + 2):
        r = client.get("/api/v1/digests/hebdo/curation", headers={"authorization": "Bearer x"})
        statuses.append(r.status_code)
    assert statuses == [403] * (FREE + 1) + [429]
    assert r.headers["retry-after"] == "1" and "trop d'essais" in r.json()["detail"]
    # Writes are refused before their body is read, with the same count.
    r = client.put(
        "/api/v1/digests/hebdo/introduction",
        json={"text": "x"},
        headers={"authorization": f"Bearer {ADMIN}"},
    )
    assert r.status_code == 429


@pytest.mark.parametrize("name", ["VEILLE_ADMIN_TOKEN", "VEILLE_SECRET_KEY"])
def test_a_short_secret_is_refused_at_start(tmp_path: Path, name: str) -> None:
    env = veille_env(**{name: "a", "VEILLE_CONFIG": str(tmp_path / "absent.yaml")})
    result = subprocess.run(
        [sys.executable, "-m", "veille", "serve", "--port", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"{name} : trop court (1 caractère, au moins 16)" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def _api_statuses(port: int, forwarded_for: str, n: int) -> list[int]:
    statuses = []
    for _ in range(n):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/digests/hebdo/curation",
            headers={"Authorization": "Bearer x", "X-Forwarded-For": forwarded_for},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                statuses.append(r.status)
        except urllib.error.HTTPError as e:
            statuses.append(e.code)
    return statuses


@pytest.mark.parametrize(
    ("trusted", "apart"),
    [(("127.0.0.1", "::1"), True), (("10.0.0.0/8",), False)],
    ids=["proxy-trusted", "proxy-not-trusted"],
)
def test_behind_a_trusted_proxy_each_client_is_counted_apart(
    tmp_path: Path, trusted: tuple[str, ...], apart: bool
) -> None:
    """``VEILLE_TRUSTED_PROXIES``: behind nginx on loopback, one client's guesses do not slow
    another down; from a proxy that is not trusted, its ``X-Forwarded-For`` is ignored."""
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    store.migrate()
    app = create_app(settings(1), store, CONFIG)
    with LiveServer(app, server_config(app, trusted_proxies=trusted)) as live:
        assert _api_statuses(live.port, "192.0.2.10", FREE + 2)[-1] == 429
        other = _api_statuses(live.port, "192.0.2.20", 1)
    store.close()
    assert other == ([403] if apart else [429])


def test_trusted_proxies_must_be_addresses() -> None:
    assert Settings(trusted_proxies="10.0.0.0/8, 127.0.0.1").proxies == ["10.0.0.0/8", "127.0.0.1"]
    with pytest.raises(ValidationError, match="ni une adresse IP ni un réseau"):
        Settings(trusted_proxies="nginx")
