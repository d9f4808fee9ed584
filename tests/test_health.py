"""``/healthz`` and ``/metrics`` in-process: what a failing database answers, what the health
check asks of the database, who may read ``/metrics``."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.api_support import CONFIG
from tests.conftest import free_port
from veille.ingest.heartbeat import LATE_AFTER, record_tick
from veille.settings import Settings
from veille.store import Store
from veille.web import create_app
from veille.web.health import PROBE_TIMEOUT

TOKEN = "jeton-de-supervision-assez-long"


def unstarted_app(url: str) -> TestClient:
    """The app on a store that was never reached (no lifespan: the store is not touched)."""
    return TestClient(create_app(Settings(), Store(url), CONFIG))


def test_healthz_is_503_when_postgresql_is_unreachable() -> None:
    port = free_port()  # nobody listens there
    web = unstarted_app(f"postgresql+psycopg://veille@127.0.0.1:{port}/veille")
    started = time.monotonic()
    r = web.get("/healthz")
    assert time.monotonic() - started < PROBE_TIMEOUT + 1
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "error"
    assert body["database"] == {"status": "error", "error": "base de données injoignable"}
    assert body["config"] == {"status": "ok"}
    assert str(port) not in r.text  # the address is for the log, not for a public answer


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung database server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


def test_healthz_gives_up_on_a_database_that_does_not_answer(silent_server: int) -> None:
    web = unstarted_app(f"postgresql+psycopg://veille@127.0.0.1:{silent_server}/veille")
    started = time.monotonic()
    r = web.get("/healthz")
    took = time.monotonic() - started
    assert r.status_code == 503
    assert r.json()["database"]["error"] == f"pas de réponse en {PROBE_TIMEOUT:g} s"
    assert took < PROBE_TIMEOUT + 1.5, took  # within Docker's 5 s


def test_healthz_is_503_when_the_sqlite_file_is_not_a_database(tmp_path: Any) -> None:
    path = tmp_path / "veille.db"
    path.write_bytes(b"ceci n'est pas une base SQLite" * 100)
    r = unstarted_app(f"sqlite:///{path}").get("/healthz")
    assert r.status_code == 503 and r.json()["database"]["status"] == "error"


def test_healthz_never_reads_the_entries(api_client: TestClient) -> None:
    """Cheap whatever the size of the database: no statement touches the entry table."""
    store: Store = api_client.app.state.store  # type: ignore[attr-defined]
    statements: list[str] = []

    def seen(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        statements.append(statement.lower())

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        body = api_client.get("/healthz").json()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)
    assert body["entries"] == 7  # from the feeds' counters
    assert statements and not [s for s in statements if "entry" in s.split("from", 1)[-1]]


def test_healthz_tells_the_schedulers_heartbeat(api_client: TestClient, now: datetime) -> None:
    store: Store = api_client.app.state.store  # type: ignore[attr-defined]
    assert api_client.get("/healthz").json()["scheduler"] == {
        "status": "never",
        "last_tick": None,
        "here": False,
    }
    api_client.app.state.clock = lambda: now  # type: ignore[attr-defined]
    record_tick(store, now - timedelta(minutes=1))
    assert api_client.get("/healthz").json()["scheduler"] == {
        "status": "ok",
        "last_tick": "2026-11-29T07:59:00+00:00",
        "here": True,  # recorded by this very process
    }
    record_tick(store, now - LATE_AFTER - timedelta(minutes=1))
    r = api_client.get("/healthz")
    assert r.status_code == 200  # a late scheduler does not make this replica unhealthy
    assert r.json()["scheduler"]["status"] == "late"


def test_metrics_token_when_set(store: Store) -> None:
    with TestClient(create_app(Settings(metrics_token=TOKEN), store, CONFIG)) as web:
        missing = web.get("/metrics")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = web.get("/metrics", headers={"Authorization": "Bearer " + "x" * 30})
        assert wrong.status_code == 403 and wrong.json() == {
            "detail": "jeton de supervision invalide"
        }
        right = web.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert right.headers["content-type"].startswith("text/plain; version=0.0.4")
        names = {f.name for f in text_string_to_metric_families(right.text)}
        assert {"veille_fetches", "veille_http_request_seconds", "veille_feeds_due"} <= names


def test_metrics_are_public_without_a_token(api_client: TestClient) -> None:
    r = api_client.get("/metrics")
    assert r.status_code == 200
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(r.text)
        for s in f.samples
    }
    assert found[("veille_feed_consecutive_errors", (("feed", "ludo"),))] == 1
    assert found[("veille_feeds", (("status", "error"),))] == 1
    assert ("veille_feed_last_success_timestamp_seconds", (("feed", "cafe"),)) in found
    assert ("veille_feed_last_success_timestamp_seconds", (("feed", "ludo"),)) not in found


def test_every_metric_is_in_the_readme(api_client: TestClient, now: datetime) -> None:
    """The README's table of /metrics lists exactly the series veille exposes (counters with
    their ``_total``), each with its labels."""
    store: Store = api_client.app.state.store  # type: ignore[attr-defined]
    record_tick(store, now)  # the last tick's gauge exists once a scheduler has run
    api_client.get("/healthz")  # and the HTTP histogram's labels once a request was served
    exposed = {
        f.name + ("_total" if f.type == "counter" else ""): {
            k for sample in f.samples for k in sample.labels if k not in ("le", "quantile")
        }
        for f in text_string_to_metric_families(api_client.get("/metrics").text)
        if f.name.startswith("veille_") and not f.name.endswith("_created")
    }  # (``_created``: prometheus-client's creation time of each series, not ours)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    documented = {
        name: set(filter(None, (labels or "").split(",")))
        for name, labels in re.findall(r"^\| `(veille_\w+)(?:\{([\w,]+)\})?` \|", readme, re.M)
    }
    assert documented == exposed


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(ValueError, match="trop court"):
        Settings(metrics_token="court")
