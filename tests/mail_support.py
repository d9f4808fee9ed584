"""A real SMTP server on loopback (aiosmtpd) and a populated store, for the mail tests.

The server records every message it accepted (250), parsed with the standard library's
strict policy (a defect raises). It can refuse recipients (``refuse``) and block the DATA of
one recipient (``block_on``) until released, to kill a sender in the middle of a send.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller

from tests.conftest import free_port, veille_env
from veille.config.durations import DAYS
from veille.models import (
    Config,
    DigestSpec,
    FeedSpec,
    MailSpec,
    ParsedEntry,
    Selection,
    TagRule,
)
from veille.rules.ruleset import RuleSet
from veille.settings import Settings
from veille.store import Store

BASE = "https://veille.example.org"
SECRET = "une-clé-secrète-de-test-assez-longue"
ADMIN = "jeton-admin-de-test"
RECIPIENTS = ("ana@college.example", "ben@college.example", "chloe@lycee.example", "dan@x.example")
TITLE = "La semaine du numérique éducatif"

CONFIG = Config(
    path="feeds.yaml",
    feeds=(
        FeedSpec("cafe", "https://cafe.example/feed", title="Le Café pédagogique"),
        FeedSpec("ludo", "https://ludo.example/feed", title="Ludomag"),
    ),
    tags=(
        TagRule("evaluation", "Évaluation", match=("évaluation", "Plickers", "Kahoot")),
        TagRule("ia", "Intelligence artificielle", match=("IA", "intelligence artificielle")),
        TagRule("tablettes", "Tablettes", match=("tablette*",)),
    ),
    digests=(
        DigestSpec(
            "hebdo",
            TITLE,
            window=timedelta(days=7),
            mail=MailSpec(to=RECIPIENTS, at="mon 07:30"),
        ),
        DigestSpec("quotidien", "La veille du jour", window=timedelta(days=1)),
    ),
)

# Monday 30 November 2026, 08:00 in Paris: just after the 07:30 slot.
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
HOSTILE = "Piège\r\nBcc: victime@evil.example\r\nX-Injected: oui"


def feeds_yaml(at: str = "mon 07:30") -> str:
    """The feeds.yaml of ``CONFIG``, its letter sent at ``at``."""
    return f"""\
feeds:
  - id: cafe
    url: https://cafe.example/feed
    title: Le Café pédagogique
  - id: ludo
    url: https://ludo.example/feed
    title: Ludomag
tags:
  evaluation:
    label: Évaluation
    match: ["évaluation", "Plickers", "Kahoot"]
  ia:
    label: Intelligence artificielle
    match: ["IA", "intelligence artificielle"]
  tablettes:
    label: Tablettes
    match: ["tablette*"]
digests:
  hebdo:
    title: {TITLE}
    window: 7d
    mail: {{to: [{", ".join(RECIPIENTS)}], at: "{at}"}}
"""


FEEDS_YAML = feeds_yaml()
PARIS = ZoneInfo("Europe/Paris")


def slot_ago(delta: timedelta) -> tuple[str, datetime]:
    """A weekly ``mail.at`` whose last slot was ``delta`` ago by the real clock, and that slot:
    for the commands run as real processes, which read the real clock."""
    slot = (datetime.now(PARIS) - delta).replace(second=0, microsecond=0)
    return f"{DAYS[slot.weekday()]} {slot:%H:%M}", slot


def settings(port: int, tmp: Any = None, **kw: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "base_url": BASE,
        "secret_key": SECRET,
        "admin_token": ADMIN,
        "mail_from": "Veille du collège <veille@college.example>",
        "database_url": f"sqlite:///{tmp}/v.db" if tmp else "sqlite:///:memory:",
    }
    return Settings(_env_file=None, **(values | kw))  # type: ignore[call-arg]


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass(frozen=True)
class Received:
    sender: str
    rcpt: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.strict).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


class MailServer:
    """``with MailServer() as smtp: …``; ``smtp.port`` may be chosen before it listens."""

    def __init__(self, port: int | None = None, **controller_kw: Any) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self.refuse: dict[str, str] = {}  # recipient -> SMTP reply, e.g. "550 5.1.1 inconnu"
        self.block_on: str | None = None
        self.blocked = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **controller_kw)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.block_on in envelope.rcpt_tos:
            self.blocked.set()
            await asyncio.to_thread(self.release.wait, 60)  # set by the test, or by stop()
            return "451 4.3.0 interrompu"
        data = envelope.original_content or envelope.content
        with self._lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), data))
        return "250 OK"

    def start(self) -> MailServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._controller.stop()

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(self, rcpt: str) -> int:
        with self._lock:
            return sum(rcpt in r.rcpt for r in self.received)

    def to(self, rcpt: str) -> list[EmailMessage]:
        with self._lock:
            return [r.message for r in self.received if rcpt in r.rcpt]


def entry(key: str, title: str, published: datetime, **kw: Any) -> ParsedEntry:
    return ParsedEntry(
        key=key,
        guid=key,
        url=f"https://news.example/{key}",
        title=title,
        summary_html=f"<p>Résumé de « {title} » pour les collègues.</p>",
        published=published,
        **kw,
    )


def populate(store: Store, end: datetime, config: Config = CONFIG) -> dict[str, str]:
    """Entries in the week before ``end`` (and one older); returns {key: entry id}."""
    rules = RuleSet.from_config(config)
    store.sync_feeds(config.feeds)
    h = timedelta(hours=1)
    items = {
        "cafe": [
            entry("c1", "Plickers en classe de 5e", end - 2 * h),
            entry("c2", "L'IA générative au lycée : un guide", end - 5 * h),
            entry("c3", "Des tablettes pour la 6e", end - 30 * h),
            entry("c4", "Évaluation par compétences : retours", end - 50 * h),
            entry("c5", HOSTILE, end - 3 * h),
            entry("old", "Une vieille nouvelle sur l'IA", end - 10 * 24 * h),
        ],
        "ludo": [
            entry("l1", "Kahoot ou Quizinière ?", end - 4 * h),
            entry("l2", "Sortie scolaire au musée", end - 6 * h),
        ],
    }
    for feed, entries in items.items():
        store.save_entries(feed, entries, now=end, tagger=partial(rules.tag_entry, feed))
    return {e.key: e.id for e in store.list_entries(Selection(limit=100)).entries}


# --- the command line, as a real process ------------------------------------------------


def cli_env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a ``veille`` command on ``tmp_path`` (feeds.yaml, SQLite file)."""
    s = settings(port)
    return veille_env(
        **{
            "VEILLE_CONFIG": str(tmp_path / "feeds.yaml"),
            "VEILLE_DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}",
            "VEILLE_SMTP_HOST": "127.0.0.1",
            "VEILLE_SMTP_PORT": str(port),
            "VEILLE_BASE_URL": s.base_url,
            "VEILLE_SECRET_KEY": s.secret_key,
            "VEILLE_MAIL_FROM": s.mail_from,
            "COLUMNS": "200",
        },
        **extra,
    )


def seed_due(tmp_path: Path, ago: timedelta = timedelta(minutes=2)) -> datetime:
    """A store and a feeds.yaml whose letter's slot was ``ago`` ago (the commands read the
    real clock): within ``SEND_GRACE`` its issue is due. Returns the slot."""
    at, slot = slot_ago(ago)
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(at), encoding="utf-8")
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    store.migrate()
    populate(store, slot - timedelta(minutes=1))
    store.close()
    return slot


def run_veille(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veille", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def log_in(client: Any, password: str = ADMIN, name: str = "", suite: str = "") -> Any:
    """Log in through the site's form (``/connexion``, a fresh form each time) with an
    account's name and password, or the admin token without a name; the POST's response
    (not followed: 303 on success)."""
    import re

    form = client.get("/connexion", params={"suite": suite} if suite else None)
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert form.status_code == 200 and found, form.text[:300]
    data = {"csrf": found[1], "name": name, "password": password}
    if suite:
        data["suite"] = suite
    return client.post("/connexion", data=data, follow_redirects=False)
