"""Notifications to webhooks against a real receiver on loopback: the signature verifies, a
500 is retried and the message delivered once, a lost answer is not resent, private
addresses are refused unless allowed, refusals and ``Retry-After`` are honoured."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from veille.mailing.issues import allocate, digest_spec, prepared_issue
from veille.models import Config, NotifyTarget
from veille.notify import NotifyReport, notify_due
from veille.notify.webhook import signature
from veille.scheduler import Scheduler
from veille.settings import Settings
from veille.store import Store

from .mail_support import (
    CONFIG,
    NOW,
    Clock,
    MailServer,
    cli_env,
    entry,
    populate,
    run_veille,
    seed_due,
    settings,
)
from .servers import FeedServer, Request, Response

SECRET_ENV, SECRET = "VEILLE_TEST_HOOK_SECRET", "secret-du-webhook-de-test"
JSONFEED = json.loads((Path(__file__).parent / "schemas" / "jsonfeed-1.1.json").read_text())
JSON = "application/json"


@pytest.fixture
def receiver(feed_server: FeedServer) -> FeedServer:
    """The webhooks' receiver: conftest's loopback server, which records every request."""
    return feed_server


def hook(url: str, when: str = "issue", **kw: Any) -> NotifyTarget:
    return NotifyTarget("webhook", url, when, secret_env=SECRET_ENV, **kw)  # type: ignore[arg-type]


def with_targets(*targets: NotifyTarget) -> Config:
    hebdo = replace(digest_spec(CONFIG, "hebdo"), notify=targets)
    return replace(CONFIG, digests=(hebdo, *CONFIG.digests[1:]))


def setup(store: Store, **kw: Any) -> Settings:
    """The week's entries and the letter of Monday 30 Nov, allocated at ``NOW``."""
    populate(store, NOW - timedelta(minutes=30))
    s = settings(0, **kw)
    spec = digest_spec(CONFIG, "hebdo")
    allocate(store, s, CONFIG, spec, prepared_issue(store, spec, NOW, ZoneInfo(s.timezone)), NOW)
    return s


def run(store: Store, s: Settings, config: Config, clock: Clock, **kw: Any) -> NotifyReport:
    environ = kw.pop("environ", {SECRET_ENV: SECRET})
    return asyncio.run(notify_due(store, s, config, clock, environ=environ, **kw))


def answers(*responses: Response) -> Any:
    """A handler answering ``responses`` in turn, then the last one again."""
    queue = list(responses)

    def handler(_: Request) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def test_signed_post_retried_after_a_500_then_delivered_once(
    store: Store, receiver: FeedServer
) -> None:
    """On SQLite and PostgreSQL (the outbox's claim and UNIQUE)."""
    receiver.route(
        "/hook", answers(Response(500, b"oups", "text/plain"), Response(200, b"{}", JSON))
    )
    config = with_targets(hook(receiver.url("/hook")))
    s = setup(store, allow_hosts=receiver.host_port)
    clock = Clock()

    first = run(store, s, config, clock)
    assert (first.queued, first.sent, first.retry) == (1, 0, 1)
    (row,) = store.notifications()
    assert (row.status, row.last_error) == ("pending", "le webhook a répondu 500")
    assert run(store, s, config, clock) == NotifyReport()  # its back-off: 1 min
    clock.advance(minutes=2)
    assert run(store, s, config, clock).sent == 1
    clock.advance(hours=1)
    assert run(store, s, config, clock) == NotifyReport()

    tries = receiver.requests_for("/hook")
    assert [r.method for r in tries] == ["POST", "POST"]
    assert tries[0].body == tries[1].body  # the same bytes…
    delivery = {r.headers["x-veille-delivery"] for r in tries}
    assert len(delivery) == 1  # …and the same delivery id on every try
    body = tries[1].body
    assert tries[1].headers["x-veille-signature"] == (
        "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    )
    assert tries[1].headers["x-veille-signature"] != signature("un autre secret", body)
    assert tries[1].headers["x-veille-event"] == "issue:1"
    assert tries[1].headers["content-type"] == JSON

    payload = json.loads(body)
    assert payload["veille"] | {"themes": []} == {
        "version": 1,
        "digest": "hebdo",
        "title": "La semaine du numérique éducatif",
        "event": "issue:1",
        "heading": "La semaine du numérique éducatif — n° 1",
        "url": "https://veille.example.org/digests/hebdo/archive/1",
        "delivery": delivery.pop(),  # signed with the body
        "themes": [],
    }
    assert {"label": "Évaluation", "count": 3} in payload["veille"]["themes"]
    assert payload["text"].startswith("**La semaine du numérique éducatif — n° 1**\n")
    assert "[Lire le n° 1](<https://veille.example.org/digests/hebdo/archive/1>)" in payload["text"]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": payload["items"]}
    jsonschema.validate(feed, JSONFEED)
    assert len(payload["items"]) == 7  # every article the letter shows
    assert all(i["id"].startswith("tag:veille.example.org,2026:") for i in payload["items"])


def test_private_address_refused_unless_allowed(
    sqlite_store: Store, receiver: FeedServer, tmp_path: Path
) -> None:
    receiver.route("/hook", Response(204, content_type=None))
    config = with_targets(hook(receiver.url("/hook")))
    s = setup(sqlite_store)  # no VEILLE_ALLOW_HOSTS
    assert run(sqlite_store, s, config, Clock()).failed == 1
    (row,) = sqlite_store.notifications()
    assert row.status == "failed"
    assert row.last_error == (
        "adresse privée refusée : 127.0.0.1 (à autoriser dans VEILLE_ALLOW_HOSTS s'il s'agit "
        "d'un intranet)"
    )
    assert receiver.requests == []

    allowed = Store(f"sqlite:///{tmp_path / 'allowed.db'}")
    allowed.migrate()
    try:
        s = setup(allowed, allow_hosts=receiver.host_port)
        assert run(allowed, s, config, Clock()).sent == 1
    finally:
        allowed.close()
    assert len(receiver.requests) == 1


def test_lost_answer_is_not_resent_until_asked(sqlite_store: Store, receiver: FeedServer) -> None:
    receiver.route(
        "/hook", answers(Response(200, b"{}", JSON, delay=5), Response(200, b"{}", JSON))
    )
    config = with_targets(hook(receiver.url("/hook")))
    s = setup(sqlite_store, allow_hosts=receiver.host_port, fetch_timeout=0.5)
    clock = Clock()
    assert run(sqlite_store, s, config, clock).unknown == 1
    (row,) = sqlite_store.notifications()
    assert row.status == "unknown"
    assert row.last_error == (
        "délai total dépassé (0,5 s) : le webhook a pu la recevoir (non renvoyée)"
    )
    clock.advance(hours=2)
    assert run(sqlite_store, s, config, clock) == NotifyReport()
    assert len(receiver.requests) == 1
    # An operator's decision (``veille notify resend``): sent again, same delivery id.
    assert sqlite_store.requeue_notifications("hebdo", "issue:1") == 1
    assert run(sqlite_store, s, config, clock).sent == 1
    first, second = receiver.requests
    assert first.headers["x-veille-delivery"] == second.headers["x-veille-delivery"]


def test_refusals_retry_after_and_redirects(sqlite_store: Store, receiver: FeedServer) -> None:
    receiver.route("/gone", Response(410, b"", None))
    receiver.route("/busy", Response(429, b"", None, headers={"Retry-After": "600"}))
    receiver.route("/moved", Response(307, b"", None, headers={"Location": "/elsewhere"}))
    config = with_targets(
        hook(receiver.url("/gone")), hook(receiver.url("/busy")), hook(receiver.url("/moved"))
    )
    s = setup(sqlite_store, allow_hosts=receiver.host_port)
    clock = Clock()
    report = run(sqlite_store, s, config, clock)
    assert (report.queued, report.failed, report.retry) == (3, 2, 1)
    rows = sqlite_store.notifications()
    errors = sorted(r.last_error or "" for r in rows)
    assert errors == [
        "le webhook a répondu 307 : adresse ou secret à vérifier",
        "le webhook a répondu 410 : adresse ou secret à vérifier",
        "le webhook a répondu 429",
    ]
    busy = next(r for r in rows if r.status == "pending")
    assert busy.next_attempt_at == clock.now + timedelta(minutes=10)  # Retry-After, not 1 min
    assert [r.path for r in receiver.requests] == ["/gone", "/busy", "/moved"]  # not followed


def test_missing_secret_is_retried_with_its_reason(
    sqlite_store: Store, receiver: FeedServer
) -> None:
    receiver.route("/hook", Response(200, b"{}", JSON))
    config = with_targets(hook(receiver.url("/hook")))
    s = setup(sqlite_store, allow_hosts=receiver.host_port)
    clock = Clock()
    assert run(sqlite_store, s, config, clock, environ={}).retry == 1
    (row,) = sqlite_store.notifications()
    assert row.last_error == (
        f"variable d'environnement {SECRET_ENV} absente ou vide : le secret qui signe les "
        "notifications"
    )
    assert receiver.requests == []
    clock.advance(minutes=2)
    assert run(sqlite_store, s, config, clock).sent == 1


def test_daily_below_min_entries_is_skipped_and_a_removed_target_fails(
    sqlite_store: Store, receiver: FeedServer
) -> None:
    receiver.route("/hook", Response(200, b"{}", JSON))
    quiet = hook(receiver.url("/quiet"), "daily", at="08:00", min_entries=50)
    daily = hook(receiver.url("/hook"), "daily", at="08:00", max_entries=2)
    s = setup(sqlite_store, allow_hosts=receiver.host_port)
    clock = Clock()
    report = run(sqlite_store, s, with_targets(quiet, daily), clock)
    assert (report.queued, report.sent) == (1, 1)
    statuses = sorted((r.status, r.last_error) for r in sqlite_store.notifications())
    assert statuses == [
        ("sent", None),
        ("skipped", "5 nouveaux articles, moins que min_entries (50) : rien à annoncer"),
    ]
    (request,) = receiver.requests
    payload = json.loads(request.body)
    assert payload["veille"]["event"] == "daily:2026-11-30"
    assert [i["title"] for i in payload["items"]] == [
        line.split("](")[0].removeprefix("- [").replace("\\", "")
        for line in payload["text"].splitlines()
        if line.startswith("- [")
    ]  # the items are the articles the text lists (2: max_entries)
    assert len(payload["items"]) == 2

    # The next day, the target is gone from feeds.yaml while its row waits.
    clock.advance(days=1)
    tuesday = entry("t1", "Une nouvelle du mardi", clock.now - timedelta(hours=3))
    sqlite_store.save_entries("cafe", [tuesday], now=clock.now - timedelta(hours=2))
    receiver.route("/hook", Response(503, b"", None))
    assert run(sqlite_store, s, with_targets(daily), clock).retry == 1
    clock.advance(minutes=5)
    assert run(sqlite_store, s, with_targets(), clock).failed == 1
    latest = sqlite_store.notifications()[0]
    assert (latest.status, latest.last_error) == ("failed", "destination retirée de feeds.yaml")


def test_the_scheduled_letter_is_announced_at_once(
    sqlite_store: Store, receiver: FeedServer
) -> None:
    """The scheduler's mail job sends the letter, then its announcement, in the same run;
    the next ticks announce nothing more."""
    receiver.route("/hook", Response(200, b"{}", JSON))
    config = with_targets(NotifyTarget("webhook", receiver.url("/hook"), "issue"))  # unsigned
    populate(sqlite_store, NOW - timedelta(minutes=30))
    clock = Clock()
    with MailServer() as smtp:
        s = settings(smtp.port, allow_hosts=receiver.host_port)
        sched = Scheduler(
            SimpleNamespace(store=sqlite_store, now=clock),  # type: ignore[arg-type]
            SimpleNamespace(get=lambda: config),  # type: ignore[arg-type]
            ZoneInfo(s.timezone),
            s,
        )
        sched._lock = sqlite_store.try_scheduler_lock()  # jobs run only while it is held
        asyncio.run(sched.send_mail("hebdo"))
        assert len(smtp.received) == 4
    (request,) = receiver.requests
    assert json.loads(request.body)["veille"]["event"] == "issue:1"
    assert "x-veille-signature" not in request.headers
    clock.advance(minutes=1)
    asyncio.run(sched.notify(config))
    assert len(receiver.requests) == 1


@pytest.mark.slow  # real processes
def test_cli_send_status_and_errors(tmp_path: Path, receiver: FeedServer) -> None:
    """``veille notify`` as a real process (the real clock): the day's slot passed two
    minutes ago, so ``send`` announces it once; ``status`` shows it."""
    receiver.route("/hook", Response(200, b"{}", JSON))
    slot = seed_due(tmp_path)
    config = tmp_path / "feeds.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "    notify:\n"
        + f'      - webhook: {{url: "{receiver.url("/hook")}", when: daily, at: "{slot:%H:%M}"}}\n',
        encoding="utf-8",
    )
    env = cli_env(tmp_path, 0, VEILLE_ALLOW_HOSTS=receiver.host_port)

    sent = run_veille(tmp_path, env, "notify", "send")
    assert (sent.returncode, sent.stdout) == (0, "1 nouvelle annonce, 1 envoyée.\n"), sent.stderr
    again = run_veille(tmp_path, env, "notify", "send", "hebdo")
    assert (again.returncode, again.stdout) == (0, "Rien à annoncer.\n")
    assert len(receiver.requests) == 1

    shown = run_veille(tmp_path, env, "notify", "status")
    assert shown.returncode == 0
    line = next(line for line in shown.stdout.splitlines() if "hebdo" in line)
    assert f"jour du {slot:%Y-%m-%d}" in line and "envoyé" in line
    assert f"webhook 127.0.0.1:{receiver.port}" in line

    unknown = run_veille(tmp_path, env, "notify", "status", "quotidienne")
    assert unknown.returncode == 2
    assert "sélection inconnue « quotidienne » (connues : hebdo)" in unknown.stderr
