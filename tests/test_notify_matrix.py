"""Notifications to Matrix rooms against a real homeserver (Synapse, SQLite, on loopback):
read back through the API as another user — the issue and the day arrive once each, a second
run sends nothing, an unreachable homeserver is retried and gets the message once, a resend
after a crash is recognised by its transaction id, an encrypted room is refused in French.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import nh3
import pytest
import sqlalchemy as sa

from veille.mailing.issues import allocate, digest_spec, prepared_issue
from veille.models import Config, NotifyTarget, Selection
from veille.notify import NotifyReport, notify_due
from veille.render.notify import MATRIX_TAGS
from veille.settings import Settings
from veille.store import Store
from veille.store.tables import notify_t

from .mail_support import CONFIG, NOW, Clock, entry, populate, settings
from .matrix_support import Client, Homeserver

pytestmark = pytest.mark.slow

TOKEN_ENV = "VEILLE_TEST_MATRIX_TOKEN"
TITLE = "La semaine du numérique éducatif"
MARKUP_TITLE = '<script>alert("x")</script> Les « fake news » & l\'IA'
MARKUP_NOTE = "<img src=x onerror=alert(1)> à lire **vite**"


@pytest.fixture(scope="module")
def hs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    with Homeserver(tmp_path_factory.mktemp("synapse")) as server:
        yield server


@pytest.fixture(scope="module")
def bot(hs: Homeserver) -> Client:
    return hs.register("veille")


@pytest.fixture(scope="module")
def alice(hs: Homeserver) -> Client:
    return hs.register("alice")


def with_targets(*targets: NotifyTarget) -> Config:
    hebdo = replace(digest_spec(CONFIG, "hebdo"), notify=targets)
    return replace(CONFIG, digests=(hebdo, *CONFIG.digests[1:]))


def matrix(hs: Homeserver, room: str, when: str = "issue", **kw: object) -> NotifyTarget:
    return NotifyTarget("matrix", hs.url, when, room=room, secret_env=TOKEN_ENV, **kw)  # type: ignore[arg-type]


def setup(store: Store, hs: Homeserver) -> Settings:
    """Entries of the week, and the letter of Monday 30 Nov allocated (its slot, 07:30 in
    Paris, was half an hour before ``NOW``)."""
    populate(store, NOW - timedelta(minutes=30))
    store.save_entries(
        "cafe", [entry("x", MARKUP_TITLE, NOW - timedelta(hours=8))], now=NOW - timedelta(hours=1)
    )
    entries = store.list_entries(Selection(feeds=("cafe",), limit=50)).entries
    picked = next(e for e in entries if e.title == MARKUP_TITLE)
    store.set_highlight("hebdo", picked.id, MARKUP_NOTE, NOW - timedelta(hours=1))
    s = settings(0, allow_hosts=f"127.0.0.1:{hs.port}")
    spec = digest_spec(CONFIG, "hebdo")
    prepared = prepared_issue(store, spec, NOW, ZoneInfo(s.timezone))
    allocate(store, s, CONFIG, spec, prepared, NOW)
    return s


def one_room(
    store: Store, hs: Homeserver, bot: Client, alice: Client
) -> tuple[str, Config, Settings, Clock]:
    """A room the bot is invited to, announcing the letter (allocated by ``setup``)."""
    room = alice.create_room(invite=bot.user_id)
    return room, with_targets(matrix(hs, room)), setup(store, hs), Clock()


def run(
    store: Store, s: Settings, config: Config, clock: Clock, bot: Client, **kw: object
) -> NotifyReport:
    environ: Mapping[str, str] = {TOKEN_ENV: bot.token}
    return asyncio.run(notify_due(store, s, config, clock, environ=environ, **kw))  # type: ignore[arg-type]


class Tags(HTMLParser):
    """Every tag and attribute of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[tuple[str, str]] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attrs.add((tag, name))
            if name == "href":
                self.hrefs.append(value or "")


def parsed(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


def assert_matrix_safe(html: str) -> None:
    """The sanitiser check: only tags of the Matrix specification's list, only ``href``
    attributes, http(s) links only, nothing that runs — and a real sanitiser (nh3, set to
    what the specification allows) keeps every tag, attribute and link."""
    parser = parsed(html)
    assert parser.tags <= MATRIX_TAGS, parser.tags - MATRIX_TAGS
    assert parser.attrs <= {("a", "href")}
    assert all(h.startswith(("https://", "http://")) for h in parser.hrefs), parser.hrefs
    assert "<script" not in html.lower() and "javascript:" not in html.lower()
    clean = nh3.clean(
        html,
        tags=set(MATRIX_TAGS),
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel=None,
    )
    kept = parsed(clean)
    assert (kept.tags, kept.attrs, kept.hrefs) == (parser.tags, parser.attrs, parser.hrefs)


def test_issue_and_day_arrive_once_each(
    sqlite_store: Store, hs: Homeserver, bot: Client, alice: Client
) -> None:
    room = alice.create_room(invite=bot.user_id)  # the bot is invited, not yet a member
    alias_room = alice.create_room(invite=bot.user_id, alias="veille-cdi")
    config = with_targets(
        matrix(hs, room),
        matrix(hs, "#veille-cdi:localhost", "daily", at="08:00", max_entries=3),
    )
    s = setup(sqlite_store, hs)
    clock = Clock()  # 08:00 in Paris: the day's slot

    first = run(sqlite_store, s, config, clock, bot)
    assert (first.queued, first.sent, first.ok) == (2, 2, True)

    (issue,) = alice.messages(room, bot.user_id)
    content = issue["content"]
    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    assert content["body"].startswith(f"{TITLE} — n° 1\n")
    assert "https://veille.example.org/digests/hebdo/archive/1" in content["body"]
    assert "Par thème : " in content["body"]
    assert_matrix_safe(content["formatted_body"])
    # Markup in a title or a note is text: escaped in HTML, as is in the plain body.
    assert f"• {MARKUP_TITLE} — Le Café pédagogique" in content["body"]
    assert f"« {MARKUP_NOTE} »" in content["body"]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content["formatted_body"]
    assert (
        "<em>&lt;img src=x onerror=alert(1)&gt; à lire **vite**</em>" in content["formatted_body"]
    )

    (day,) = alice.messages(alias_room, bot.user_id)
    body = day["content"]["body"]
    assert body.startswith(f"{TITLE} — 30 nov. 2026\n")
    assert "6 nouveaux articles en 24 heures." in body
    assert body.count("• ") == 3  # max_entries
    assert "… et 3 autres articles." in body
    assert_matrix_safe(day["content"]["formatted_body"])

    # A second run, and the next hour: nothing more.
    assert run(sqlite_store, s, config, clock, bot) == NotifyReport()
    clock.advance(hours=1)
    assert run(sqlite_store, s, config, clock, bot) == NotifyReport()
    assert len(alice.messages(room, bot.user_id)) == 1
    assert len(alice.messages(alias_room, bot.user_id)) == 1
    rows = sqlite_store.notifications()
    assert {(r.event, r.status) for r in rows} == {
        ("issue:1", "sent"),
        ("daily:2026-11-30", "sent"),
    }
    assert {r.remote_id for r in rows} == {issue["event_id"], day["event_id"]}


def test_unreachable_homeserver_is_retried_then_delivered_once(
    sqlite_store: Store, hs: Homeserver, bot: Client, alice: Client
) -> None:
    room, config, s, clock = one_room(sqlite_store, hs, bot, alice)
    hs.stop()
    try:
        report = run(sqlite_store, s, config, clock, bot)
        assert (report.queued, report.sent, report.retry) == (1, 0, 1)
        (row,) = sqlite_store.notifications()
        assert row.status == "pending" and row.attempts == 1
        assert row.last_error and row.last_error.startswith("connexion impossible à 127.0.0.1")
        assert row.next_attempt_at == clock.now + timedelta(minutes=1)
    finally:
        hs.start()
    assert run(sqlite_store, s, config, clock, bot) == NotifyReport()  # not due yet
    assert alice.messages(room, bot.user_id) == []
    clock.advance(minutes=2)
    assert run(sqlite_store, s, config, clock, bot).sent == 1
    (message,) = alice.messages(room, bot.user_id)
    (row,) = sqlite_store.notifications()
    assert message["content"] == json.loads(row.payload)  # as rendered when queued
    clock.advance(minutes=10)
    assert run(sqlite_store, s, config, clock, bot) == NotifyReport()
    assert len(alice.messages(room, bot.user_id)) == 1


def dead_pid() -> int:
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                             capture_output=True, text=True, check=True, timeout=30)  # fmt: skip
    return int(process.stdout)


def test_resend_after_a_crash_is_recognised_by_the_homeserver(
    sqlite_store: Store, hs: Homeserver, bot: Client, alice: Client
) -> None:
    room, config, s, clock = one_room(sqlite_store, hs, bot, alice)
    assert run(sqlite_store, s, config, clock, bot).sent == 1
    (first,) = alice.messages(room, bot.user_id)
    # The process died right after the homeserver's answer, before recording it.
    with sqlite_store.engine.begin() as conn:
        conn.execute(
            sa.update(notify_t).values(
                status="sending",
                claimed_by=f"{socket.gethostname()}:{dead_pid()}",
                claimed_at=clock.now,
            )
        )
    report = run(sqlite_store, s, config, clock, bot)
    assert report.sent == 1  # sent again, with the same transaction id…
    after = alice.messages(room, bot.user_id)
    assert [m["event_id"] for m in after] == [first["event_id"]]  # …and posted once
    (row,) = sqlite_store.notifications()
    assert (row.status, row.remote_id) == ("sent", first["event_id"])


def test_encrypted_room_and_bad_token_are_refused_in_french(
    sqlite_store: Store, hs: Homeserver, bot: Client, alice: Client
) -> None:
    secret_room = alice.create_room(invite=bot.user_id, encrypted=True)
    other_room = alice.create_room(invite=bot.user_id)
    bad_token = replace(matrix(hs, other_room), secret_env="VEILLE_TEST_OTHER_TOKEN")
    config = with_targets(matrix(hs, secret_room), bad_token)
    s = setup(sqlite_store, hs)
    environ = {TOKEN_ENV: bot.token, "VEILLE_TEST_OTHER_TOKEN": "syt_faux_jeton"}
    report = asyncio.run(notify_due(sqlite_store, s, config, Clock(), environ=environ))
    assert (report.sent, report.failed) == (0, 2)
    errors = {r.destination: r.last_error or "" for r in sqlite_store.notifications()}
    assert errors[secret_room].startswith(
        f"le salon {secret_room} est chiffré de bout en bout : veille ne peut pas y écrire."
    )
    assert "salon non chiffré" in errors[secret_room]
    assert errors[other_room].startswith(
        "jeton Matrix refusé, M_UNKNOWN_TOKEN : vérifiez VEILLE_TEST_OTHER_TOKEN"
    )
    assert alice.messages(secret_room, bot.user_id) == []
    assert alice.messages(other_room, bot.user_id) == []
    # Refused for good: not tried again.
    assert run(sqlite_store, s, config, Clock(NOW + timedelta(hours=1)), bot) == NotifyReport()
