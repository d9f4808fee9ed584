"""The week being prepared is this week: the issue that preview, curation and ``send`` work on
is the one the next scheduled send sends; the scheduled send (on time or a little late) sends
the week that ends at its slot, once; an operator's explicit send after an SMTP outage
delivers at once. Against a real SMTP server on loopback; the clock is injected."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import free_port
from veille.cli import mail as cli_mail
from veille.cli.app import app
from veille.mailing.delivery import retry_pending, send_issue
from veille.mailing.issues import SEND_GRACE, allocate, choose_highlight, prepared_issue
from veille.models import Selection
from veille.rules.ruleset import RuleSet
from veille.scheduler import Scheduler
from veille.store import Store
from veille.web import create_app

from .mail_support import (
    ADMIN,
    CONFIG,
    PARIS,
    RECIPIENTS,
    TITLE,
    Clock,
    MailServer,
    cli_env,
    entry,
    feeds_yaml,
    run_veille,
    seed_due,
    settings,
)

ANA = RECIPIENTS[0]
AUTH = {"Authorization": f"Bearer {ADMIN}"}
SPEC = CONFIG.digests[0]  # hebdo: window 7d, sent "mon 07:30"
WED = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)  # Wednesday 2 Dec, first day of use
SLOT = datetime(2026, 12, 7, 7, 30, tzinfo=PARIS)  # the next scheduled send: Monday 7 Dec
WEEK = "du 30 nov. au 7 déc. 2026"
SUBJECT = f"{TITLE} — n° 1 — 7 déc. 2026"
# Published last week, this week (before Wednesday), and on Monday morning before the send.
LAST = {
    "last1": ("Semaine passée : un guide de l'IA au lycée", datetime(2026, 11, 26, 10, 0)),
    "last2": ("Semaine passée : Plickers en classe de 5e", datetime(2026, 11, 27, 16, 0)),
}
THIS = {
    "this1": ("Des tablettes pour la 6e", datetime(2026, 12, 1, 9, 0)),
    "this2": ("Kahoot ou Quizinière pour l'évaluation ?", datetime(2026, 12, 2, 8, 0)),
}
MONDAY = {"monday": ("Lundi matin : l'IA générative en débat", datetime(2026, 12, 7, 7, 0))}


def save(store: Store, items: dict[str, tuple[str, datetime]]) -> dict[str, str]:
    """Store ``items`` (Paris times) as seen an hour after publication; {key: entry id}."""
    rules = RuleSet.from_config(CONFIG)
    store.sync_feeds(CONFIG.feeds)
    for key, (title, when) in items.items():
        published = when.replace(tzinfo=PARIS)
        store.save_entries(
            "cafe",
            [entry(key, title, published)],
            now=published + timedelta(hours=1),
            tagger=partial(rules.tag_entry, "cafe"),
        )
    return {e.key: e.id for e in store.list_entries(Selection(limit=100)).entries}


@pytest.fixture
def ids(store: Store) -> dict[str, str]:
    return save(store, LAST | THIS)


def body(msg: object) -> str:
    text = msg.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    return str(text).replace("\r\n", "\n")


def login(client: TestClient) -> str:
    """Log in to the curation pages; the CSRF token of the session."""
    token = re.findall(r'name="csrf" value="([^"]+)"', client.get("/curation/connexion").text)
    r = client.post("/curation/connexion", data={"csrf": token[0], "password": ADMIN})
    assert r.status_code == 200, r.text
    return re.findall(r'name="csrf" value="([^"]+)"', client.get("/curation/hebdo").text)[0]


# --- which issue is being prepared -----------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "allocated", "end", "due"),
    [
        (WED, False, SLOT, False),  # a fresh install on Wednesday: this week, sent Monday
        (SLOT - timedelta(seconds=1), False, SLOT, False),
        (SLOT, False, SLOT, True),  # the scheduled send, on time
        (SLOT + timedelta(minutes=4), False, SLOT, True),  # … or a little late
        (SLOT + SEND_GRACE + timedelta(minutes=1), False, SLOT + timedelta(days=7), False),
        (SLOT + timedelta(minutes=10), True, SLOT + timedelta(days=7), False),  # sent: next
    ],
)
def test_the_issue_being_prepared(
    store: Store, ids: dict[str, str], now: datetime, allocated: bool, end: datetime, due: bool
) -> None:
    s = settings(1)
    if allocated:
        allocate(store, s, CONFIG, SPEC, prepared_issue(store, SPEC, SLOT, PARIS), SLOT)
    prepared = prepared_issue(store, SPEC, now, PARIS)
    assert (prepared.period.end, prepared.period.start) == (end, end - timedelta(days=7))
    assert (prepared.due, prepared.number) == (due, 2 if allocated else 1)


@pytest.mark.parametrize(
    ("now", "catch_up"),
    [
        (WED, False),
        (SLOT - timedelta(minutes=1), False),
        (SLOT + timedelta(minutes=5), True),  # (re)started just after the slot: send now
        (SLOT + SEND_GRACE + timedelta(minutes=1), False),
    ],
)
def test_the_scheduler_sends_when_the_prepared_issue_ends(now: datetime, catch_up: bool) -> None:
    """Its job fires at the end of the issue being prepared, and a job missed within the
    grace (the scheduler was down at the slot) runs as soon as it starts."""
    updater = SimpleNamespace(now=Clock(now))
    sched = Scheduler(updater, SimpleNamespace(), PARIS, settings(1))  # type: ignore[arg-type]
    sched._schedule_mail(CONFIG)
    [job] = sched._scheduler.get_jobs()
    assert job.misfire_grace_time == SEND_GRACE.total_seconds()
    assert getattr(job, "next_run_time", None) == (now if catch_up else None)
    if now == WED:
        assert job.trigger.get_next_fire_time(None, now) == SLOT


# --- a fresh install on Wednesday ------------------------------------------------------------


def client_on(store: Store, when: datetime) -> TestClient:
    app_ = create_app(settings(1), store, CONFIG)
    app_.state.clock = Clock(when)
    return TestClient(app_, base_url="https://testserver")


def test_curation_on_wednesday_offers_this_week(store: Store, ids: dict[str, str]) -> None:
    with client_on(store, WED) as client:
        csrf = login(client)
        page = client.get("/curation/hebdo").text
        assert f"n° 1, articles publiés {WEEK}" in page
        assert "Des tablettes pour la 6e" in page and "Kahoot ou Quizinière" in page
        assert "Semaine passée" not in page

        state = client.get("/api/v1/digests/hebdo/curation", headers=AUTH).json()
        assert state["next_issue"] == 1
        assert state["period"] == {
            "start": "2026-11-30T06:30:00+00:00",
            "end": "2026-12-07T06:30:00+00:00",
        }

        # Last week's article cannot be chosen for this week's issue: a French refusal.
        url = "/api/v1/digests/hebdo/highlights/"
        r = client.put(url + ids["last1"], json={"note": "x"}, headers=AUTH)
        assert r.status_code == 409
        assert r.json()["detail"] == (
            "« Semaine passée : un guide de l'IA au lycée », publié le 26 nov. 2026 à 10:00, "
            f"est hors de la période du n° 1 ({WEEK}) : il ne peut pas en être un coup de cœur."
        )
        form = {"action": "highlight", "entry": ids["last2"], "note": "x", "csrf": csrf}
        r = client.post("/curation/hebdo", data=form, follow_redirects=False)
        assert r.status_code == 409 and "hors de la période du n° 1" in r.text
        assert store.highlights("hebdo") == []

        r = client.put(url + ids["this1"], json={"note": "Un vrai retour de terrain"}, headers=AUTH)
        assert r.status_code == 200
        state = client.get("/api/v1/digests/hebdo/curation", headers=AUTH).json()
        assert state["highlights"] == [{"entry": ids["this1"], "note": "Un vrai retour de terrain"}]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Clock, int]]:
    """The CLI in-process on a SQLite file, its clock injected; the SMTP port."""
    port = free_port()
    (tmp_path / "feeds.yaml").write_text(feeds_yaml(), encoding="utf-8")
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    store.migrate()
    save(store, LAST | THIS)
    store.close()
    for key, value in cli_env(tmp_path, port).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    clock = Clock(WED)
    monkeypatch.setattr(cli_mail, "utcnow", clock)
    yield clock, port


def test_cli_on_wednesday_prepares_and_sends_nothing_early(cli: tuple[Clock, int]) -> None:
    clock, port = cli
    runner = CliRunner()
    with MailServer(port) as smtp:
        preview = runner.invoke(app, ["mail", "preview", "hebdo"])
        assert preview.exit_code == 0, preview.output
        assert preview.stdout.startswith(f"{SUBJECT}\nArticles publiés {WEEK}\n")
        assert (
            "Des tablettes pour la 6e" in preview.stdout and "Semaine passée" not in preview.stdout
        )
        assert (
            preview.stderr == f"Le n° 1 (articles publiés {WEEK}) partira le 7 déc. 2026 à 07:30.\n"
        )

        dry = runner.invoke(app, ["mail", "send", "hebdo", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert (
            f"Aucun numéro ne partirait maintenant : le n° 1 (articles publiés {WEEK}) "
            "partira le 7 déc. 2026 à 07:30." in dry.stdout
        )

        send = runner.invoke(app, ["mail", "send", "hebdo"])
        assert send.exit_code == 0, send.output
        assert send.stdout == (
            f"Aucun numéro à envoyer maintenant : le n° 1 (articles publiés {WEEK}) "
            "partira le 7 déc. 2026 à 07:30.\n"
        )
        assert smtp.received == []  # the week in progress is not sent half-way

        clock.now = SLOT.replace(minute=31)  # Monday, just after the slot: it goes out
        send = runner.invoke(app, ["mail", "send", "hebdo"])
        assert send.exit_code == 0, send.output
        assert send.stdout.startswith(f"{SUBJECT} (nouveau numéro)\n4 envoyés.\n")
        assert "Numéro suivant : le n° 2 (articles publiés du 7 au 14 déc. 2026)" in send.stdout
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]
        assert body(smtp.to(ANA)[0]).startswith(f"{SUBJECT}\nArticles publiés {WEEK}\n")


# --- the scheduled send ----------------------------------------------------------------------


@pytest.mark.parametrize("late", [timedelta(0), timedelta(minutes=4, seconds=12)])
def test_scheduled_send_sends_the_week_ending_at_its_slot(
    store: Store, ids: dict[str, str], smtp: MailServer, late: timedelta
) -> None:
    s = settings(smtp.port)
    assert choose_highlight(store, s, SPEC, ids["this2"], "À tester en classe", WED)
    store.set_highlight("hebdo", ids["last2"], "Choisie avant la correction", WED)  # old data
    ids |= save(store, MONDAY)
    clock = Clock(SLOT - timedelta(seconds=30))
    sched = Scheduler(
        SimpleNamespace(store=store, now=clock),  # type: ignore[arg-type]
        SimpleNamespace(get=lambda: CONFIG),  # type: ignore[arg-type]
        PARIS,
        s,
    )
    sched._lock = store.try_scheduler_lock()  # jobs run only while the scheduler holds it
    asyncio.run(sched.send_mail("hebdo"))  # a clock a little ahead: nothing yet
    assert smtp.received == [] and store.list_issues() == []

    clock.now = SLOT + late
    asyncio.run(sched.send_mail("hebdo"))
    assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]
    [received] = [r for r in smtp.received if ANA in r.rcpt]
    msg = received.message  # parsed strictly from the bytes the server got
    assert msg["Subject"] == SUBJECT
    text = body(msg)
    assert text.startswith(f"{SUBJECT}\nArticles publiés {WEEK}\n")
    assert text.index("COUPS DE CŒUR") < text.index("Kahoot ou Quizinière")
    assert text.index("Kahoot ou Quizinière") < text.index("À tester en classe")
    assert "Des tablettes pour la 6e" in text and "Lundi matin" in text
    assert "Semaine passée" not in text and "Choisie avant la correction" not in text

    # Never twice: the job again (a second worker), then an operator's explicit send.
    clock.advance(minutes=1)
    asyncio.run(sched.send_mail("hebdo"))
    again = send_issue(store, s, CONFIG, "hebdo", clock, explicit=True)
    assert again is not None and (again.number, again.sent, again.ok) == (1, 0, True)
    assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]
    # The highlight outside the period still waits; the next issue is the following week.
    assert [h.entry_id for h in store.highlights("hebdo")] == [ids["last2"]]
    assert prepared_issue(store, SPEC, clock(), PARIS).period.end == SLOT + timedelta(days=7)


# --- an explicit send after an SMTP outage ---------------------------------------------------


def test_explicit_send_after_outage_delivers_now(store: Store, ids: dict[str, str]) -> None:
    port = free_port()
    s, clock = settings(port), Clock(SLOT + timedelta(seconds=5))
    down = send_issue(store, s, CONFIG, "hebdo", clock)  # the scheduled send: server down
    assert down is not None and (down.number, down.retry, down.ok) == (1, 4, False)
    clock.advance(seconds=20)
    still = send_issue(store, s, CONFIG, "hebdo", clock, explicit=True)  # still down
    assert still is not None and (still.sent, still.retry, still.ok) == (0, 4, False)
    assert {d.attempts for d in store.deliveries("hebdo", 1)} == {2}

    with MailServer(port) as smtp:
        clock.advance(seconds=20)  # the back-off (2 min now) has not passed
        assert retry_pending(store, s, clock) == []  # automatic retries wait for it …
        report = send_issue(store, s, CONFIG, "hebdo", clock, explicit=True)  # … not an operator
        assert report is not None and (report.number, report.sent, report.ok) == (1, 4, True)
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]
        assert smtp.to(ANA)[0]["Subject"] == SUBJECT
        clock.advance(minutes=5)
        again = send_issue(store, s, CONFIG, "hebdo", clock, explicit=True)
        assert again is not None and (again.sent, again.ok) == (0, True)
        assert retry_pending(store, s, clock) == []
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]


def test_cli_send_after_outage_exit_codes(tmp_path: Path) -> None:
    """As a real process, on the real clock: the letter's slot was two minutes ago."""
    seed_due(tmp_path)
    port = free_port()
    env = cli_env(tmp_path, port)

    down = run_veille(tmp_path, env, "mail", "send", "hebdo")  # nothing listens on the port
    assert down.returncode == 1, down.stdout + down.stderr
    assert "(nouveau numéro)\n4 à réessayer.\n" in down.stdout and "injoignable" in down.stdout
    still = run_veille(tmp_path, env, "mail", "send", "hebdo")
    assert still.returncode == 1 and "4 à réessayer" in still.stdout

    with MailServer(port) as smtp:
        up = run_veille(tmp_path, env, "mail", "send", "hebdo")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "(numéro déjà préparé)\n4 envoyés.\n" in up.stdout
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]
        subject = smtp.to(ANA)[0]["Subject"]
        assert subject.startswith(f"{TITLE} — n° 1 — ") and subject in up.stdout

        again = run_veille(tmp_path, env, "mail", "send", "hebdo")
        assert again.returncode == 0 and "rien de nouveau à envoyer" in again.stdout
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]


def test_cli_send_on_tuesday_after_a_monday_outage(cli: tuple[Clock, int]) -> None:
    """The slot's send failed (server down); on Tuesday the week in progress stays unsent,
    and the explicit send delivers the waiting issue at once."""
    clock, port = cli
    runner = CliRunner()
    clock.now = SLOT + timedelta(seconds=40)
    down = runner.invoke(app, ["mail", "send", "hebdo"])  # nothing listens on the port
    assert down.exit_code == 1 and "4 à réessayer." in down.stdout
    assert "ou tout de suite avec « veille mail send hebdo »" in down.stdout

    clock.now = datetime(2026, 12, 8, 10, 0, tzinfo=PARIS)
    with MailServer(port) as smtp:
        dry = runner.invoke(app, ["mail", "send", "hebdo", "--dry-run"])
        assert "réessaierait maintenant 4 envois en attente du n° 1." in dry.stdout
        assert smtp.received == []
        up = runner.invoke(app, ["mail", "send", "hebdo"])
        assert up.exit_code == 0, up.output
        assert up.stdout == (
            f"{SUBJECT} (numéro déjà préparé)\n4 envoyés.\n"
            "Numéro suivant : le n° 2 (articles publiés du 7 au 14 déc. 2026) "
            "partira le 14 déc. 2026 à 07:30.\n"
        )
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]
        assert smtp.to(ANA)[0]["Subject"] == SUBJECT
