"""E-mailed digests against a real SMTP server on loopback: message structure and
headers (strict parsing), the outbox (never twice, retries, crash in the middle of a send),
curation in the message, unsubscriptions, the CLI."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
from datetime import datetime, time, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from tests.conftest import free_port
from veille.cli.app import app
from veille.errors import MailError
from veille.mailing.delivery import BACKOFF_CAP, backoff, is_dead, retry_pending, send_issue
from veille.mailing.issues import mail_jobs, message_id, period_for
from veille.models import DigestSpec, MailSpec
from veille.store import Store

from .mail_support import (
    CONFIG,
    HOSTILE,
    NOW,
    RECIPIENTS,
    TITLE,
    Clock,
    MailServer,
    cli_env,
    populate,
    run_veille,
    seed_due,
    settings,
)

PARIS = ZoneInfo("Europe/Paris")
SUBJECT = f"{TITLE} — n° 1 — 30 nov. 2026"
ANA, BEN, CHLOE, DAN = RECIPIENTS


def html_of(msg: object) -> str:
    return msg.get_body(("html",)).get_content()  # type: ignore[attr-defined,no-any-return]


def text_of(msg: object) -> str:
    return msg.get_body(("plain",)).get_content()  # type: ignore[attr-defined,no-any-return]


# --- the message ---------------------------------------------------------------------------


def test_message_structure_and_headers(
    store: Store, mail_ids: dict[str, str], smtp: MailServer
) -> None:
    s = settings(smtp.port)
    report = send_issue(store, s, CONFIG, "hebdo", Clock())
    assert (report.sent, report.number, report.subject, report.ok) == (4, 1, SUBJECT, True)

    msg = smtp.to(ANA)[0]  # parsed with policy.strict: any defect would raise
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Subject"] == SUBJECT
    assert msg["To"] == ANA
    assert msg["From"].addresses[0].addr_spec == "veille@college.example"
    assert parsedate_to_datetime(msg["Date"]) == NOW
    assert msg["Message-ID"] == message_id(s, "hebdo", 1, ANA)
    assert msg["List-Id"] == f"{TITLE} <hebdo.veille.example.org>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    links = re.findall(r"<([^>]+)>", msg["List-Unsubscribe"])
    assert links[0].startswith("https://veille.example.org/desabonnement/")
    assert links[1] == "mailto:veille@college.example?subject=desabonnement%20hebdo"

    html = html_of(msg)
    assert '<html lang="fr"' in html
    assert "<style" not in html and 'style="' in html  # CSS inlined
    assert "<img" not in html  # no tracking pixel (no image at all)
    assert html.count("<h1") == 1 and "<h2" in html and "<h3" in html
    assert f'href="{links[0]}"' in html  # the unsubscribe link is in the body too
    assert "Plickers en classe de 5e" in html and "vieille nouvelle" not in html
    text = text_of(msg)
    assert "ÉVALUATION (3 articles)" in text and f"Se désabonner : {links[0]}" in text
    # Each recipient gets their own link and Message-ID.
    other = smtp.to(BEN)[0]
    assert other["List-Unsubscribe"] != msg["List-Unsubscribe"]
    assert other["Message-ID"] != msg["Message-ID"]


def test_titles_cannot_inject_headers(store: Store, smtp: MailServer) -> None:
    hostile = DigestSpec(
        "hebdo", f"Titre\r\nBcc: {HOSTILE}", window=timedelta(days=7),
        mail=MailSpec(to=(ANA,), at="mon 07:30"),
    )  # fmt: skip
    config = type(CONFIG)(CONFIG.path, CONFIG.feeds, CONFIG.tags, (hostile,))
    populate(store, NOW - timedelta(minutes=30), config)
    send_issue(store, settings(smtp.port), config, "hebdo", Clock())
    [received] = smtp.received
    assert received.rcpt == (ANA,)
    msg = received.message
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert "\n" not in msg["Subject"] and msg["Subject"].startswith("Titre Bcc: Piège Bcc:")
    head = received.data.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^(Bcc|X-Injected):", head, re.MULTILINE | re.IGNORECASE)
    assert "Piège Bcc: victime@evil.example X-Injected: oui" in text_of(msg)


def test_highlights_first_with_notes_intro_and_hidden(
    store: Store, mail_ids: dict[str, str], smtp: MailServer
) -> None:
    assert store.set_highlight("hebdo", mail_ids["l2"], "Une sortie\r\nqui a plu aux élèves", NOW)
    assert store.hide_entry("hebdo", mail_ids["c3"], NOW)
    store.set_introduction("hebdo", 1, "Bonjour à toutes et à tous,\n\nBonne lecture !", NOW)
    send_issue(store, settings(smtp.port), CONFIG, "hebdo", Clock())
    html, text = html_of(smtp.to(ANA)[0]), text_of(smtp.to(ANA)[0])

    assert html.index("Bonjour à toutes") < html.index("Coups de cœur") < html.index("Évaluation")
    assert html.index("Sortie scolaire au musée") < html.index("Plickers en classe")
    assert "Une sortie qui a plu aux élèves" in html
    assert html.count(">Sortie scolaire au musée</a>") == 1  # not repeated in its section
    assert "Des tablettes pour la 6e" not in html and "Tablettes" not in html
    assert text.index("COUPS DE CŒUR") < text.index("Notre avis : Une sortie qui a plu")
    assert text.index("Notre avis") < text.index("ÉVALUATION")
    # The highlight went with issue 1: the next issue starts without it.
    assert store.highlights("hebdo") == []
    assert [h.entry_id for h in store.highlights("hebdo", issue_number=1)] == [mail_ids["l2"]]


# --- the outbox -----------------------------------------------------------------------------


def test_second_send_sends_nothing_new(
    store: Store, mail_ids: dict[str, str], smtp: MailServer
) -> None:
    s, clock = settings(smtp.port), Clock()
    first = send_issue(store, s, CONFIG, "hebdo", clock)
    clock.advance(hours=3)
    second = send_issue(store, s, CONFIG, "hebdo", clock)
    assert first.new_issue and not second.new_issue
    assert (second.number, second.sent, second.ok) == (1, 0, True)
    assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]
    assert len(store.list_issues("hebdo")) == 1


def test_smtp_down_is_retried_then_delivered_once(store: Store, mail_ids: dict[str, str]) -> None:
    port, clock = free_port(), Clock()
    s = settings(port)
    down = send_issue(store, s, CONFIG, "hebdo", clock)
    assert (down.sent, down.retry, down.ok) == (0, 4, False)
    assert down.error and "injoignable" in down.error
    rows = store.deliveries("hebdo", 1)
    assert {(d.status, d.attempts) for d in rows} == {("pending", 1)}
    assert {d.next_attempt_at for d in rows} == {NOW + timedelta(minutes=1)}
    assert all("injoignable" in (d.last_error or "") for d in rows)

    with MailServer(port) as smtp:
        assert retry_pending(store, s, clock) == []  # not due yet (backoff)
        clock.advance(minutes=2)
        [report] = retry_pending(store, s, clock)
        assert (report.sent, report.ok) == (4, True)
        clock.advance(hours=1)
        assert send_issue(store, s, CONFIG, "hebdo", clock).sent == 0
        assert retry_pending(store, s, clock) == []
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]
    assert {d.status for d in store.deliveries("hebdo", 1)} == {"sent"}


def test_permanent_refusal_fails_temporary_is_retried(
    store: Store, mail_ids: dict[str, str], smtp: MailServer
) -> None:
    smtp.refuse = {BEN: "550 5.1.1 Utilisateur inconnu", CHLOE: "450 4.2.1 Boîte occupée"}
    s, clock = settings(smtp.port), Clock()
    report = send_issue(store, s, CONFIG, "hebdo", clock)
    assert (report.sent, report.failed, report.retry) == (2, 1, 1)
    by = {d.recipient: d for d in store.deliveries("hebdo", 1)}
    assert by[BEN].status == "failed" and "550" in (by[BEN].last_error or "")
    assert by[CHLOE].status == "pending" and "450" in (by[CHLOE].last_error or "")
    smtp.refuse = {}
    clock.advance(minutes=5)
    [again] = retry_pending(store, s, clock)
    assert (again.sent, again.failed) == (1, 0)  # Chloé only: Ben's refusal is final
    assert [smtp.count(r) for r in RECIPIENTS] == [1, 0, 1, 1]


def test_unsubscribed_address_receives_nothing_next_time(
    store: Store, mail_ids: dict[str, str], smtp: MailServer
) -> None:
    s, clock = settings(smtp.port), Clock()
    send_issue(store, s, CONFIG, "hebdo", clock)
    assert store.unsubscribe("hebdo", BEN.upper(), NOW)
    clock.advance(days=7)
    report = send_issue(store, s, CONFIG, "hebdo", clock)
    assert (report.number, report.sent) == (2, 3)
    assert [smtp.count(r) for r in RECIPIENTS] == [2, 1, 2, 2]
    assert smtp.to(ANA)[1]["Subject"] == f"{TITLE} — n° 2 — 7 déc. 2026"


def test_backoff_and_dead_claims() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert backoff(30) == BACKOFF_CAP
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    host = os.uname().nodename
    assert is_dead(f"{host}:{proc.pid}", NOW, NOW)
    assert not is_dead(f"{host}:{os.getpid()}", NOW, NOW)
    assert not is_dead("ailleurs:12", NOW - timedelta(minutes=1), NOW)
    assert is_dead("ailleurs:12", NOW - timedelta(hours=1), NOW)


@pytest.mark.parametrize(
    ("at", "now", "end"),
    [
        ("mon 07:30", datetime(2026, 11, 30, 7, 30, tzinfo=PARIS), datetime(2026, 11, 30, 7, 30)),
        ("mon 07:30", datetime(2026, 11, 30, 7, 29, tzinfo=PARIS), datetime(2026, 11, 23, 7, 30)),
        ("mon 07:30", datetime(2026, 12, 6, 23, 0, tzinfo=PARIS), datetime(2026, 11, 30, 7, 30)),
        ("18:00", datetime(2026, 11, 30, 17, 0, tzinfo=PARIS), datetime(2026, 11, 29, 18, 0)),
        ("18:00", datetime(2026, 11, 30, 18, 5, tzinfo=PARIS), datetime(2026, 11, 30, 18, 0)),
        # Across the change to summer time: still 07:30 in Paris.
        ("mon 07:30", datetime(2026, 3, 30, 8, 0, tzinfo=PARIS), datetime(2026, 3, 30, 7, 30)),
    ],
)
def test_period_for(at: str, now: datetime, end: datetime) -> None:
    spec = DigestSpec("d", "D", window=timedelta(days=7), mail=MailSpec(("a@b.fr",), at))
    p = period_for(spec, now, PARIS)
    assert p.end == end.replace(tzinfo=PARIS) and p.start == p.end - timedelta(days=7)
    assert p.key == end.date().isoformat()


def test_mail_jobs_and_missing_secret(store: Store, mail_ids: dict[str, str]) -> None:
    assert mail_jobs(CONFIG) == [("hebdo", 0, time(7, 30))]
    with pytest.raises(MailError, match="VEILLE_SECRET_KEY"):
        send_issue(store, settings(1, secret_key=""), CONFIG, "hebdo", Clock())
    with pytest.raises(MailError, match="pas de destinataires"):
        send_issue(store, settings(1), CONFIG, "quotidien", Clock())
    assert store.list_issues() == []  # nothing allocated


# --- the command line, as a real process --------------------------------------------------


def test_killed_mid_send_never_sends_twice(tmp_path: Path) -> None:
    seed_due(tmp_path)
    with MailServer() as smtp:
        env = cli_env(tmp_path, smtp.port)
        smtp.block_on = BEN  # the 2nd recipient: the server holds its DATA
        proc = subprocess.Popen(
            [sys.executable, "-m", "veille", "mail", "send", "hebdo"],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert smtp.blocked.wait(30), "the sender never reached the 2nd recipient"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        smtp.release.set()
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 0, 0, 0]

        smtp.block_on = None
        rerun = run_veille(tmp_path, env, "mail", "send", "hebdo")
        assert rerun.returncode == 1, rerun.stderr  # one delivery is uncertain
        assert "2 envoyés, 1 incertain." in rerun.stdout
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 0, 1, 1]

        status = run_veille(tmp_path, env, "mail", "status")
        assert status.returncode == 0
        assert BEN in status.stdout and "incertain" in status.stdout

        again = run_veille(tmp_path, env, "mail", "send", "hebdo")
        assert "rien de nouveau" in again.stdout
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 0, 1, 1]

        resend = run_veille(tmp_path, env, "mail", "resend", "hebdo", "--issue", "1", "--to", BEN)
        assert resend.returncode == 0, resend.stdout + resend.stderr
        assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]
        message_ids = {m["Message-ID"] for r in RECIPIENTS for m in smtp.to(r)}
        assert len(message_ids) == 4


def test_cli_preview_dry_run_and_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_due(tmp_path)
    for key, value in cli_env(tmp_path, free_port()).items():
        if key.startswith("VEILLE_") or key == "COLUMNS":
            monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    result = runner.invoke(app, ["mail", "preview", "hebdo", "--out", str(tmp_path / "n.html")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "n.html").read_text(encoding="utf-8")
    assert f"{TITLE} — n° 1 — " in html and 'lang="fr"' in html and "<style" not in html
    result = runner.invoke(app, ["mail", "preview", "hebdo"])
    assert result.exit_code == 0 and "Articles publiés du" in result.output

    result = runner.invoke(app, ["mail", "send", "hebdo", "--dry-run"])
    assert result.exit_code == 0 and "Essai à blanc" in result.output
    assert "4 destinataires, 0 désabonné :" in result.output
    result = runner.invoke(app, ["mail", "status"])
    assert result.exit_code == 0 and "Aucun numéro" in result.output  # dry run wrote nothing

    assert runner.invoke(app, ["mail", "send", "inconnue"]).exit_code == 2
    monkeypatch.setenv("VEILLE_SECRET_KEY", "")
    result = runner.invoke(app, ["mail", "send", "hebdo"])
    assert result.exit_code == 2 and "VEILLE_SECRET_KEY" in result.output
    monkeypatch.setenv("VEILLE_SECRET_KEY", "x" * 32)
    result = runner.invoke(app, ["mail", "send", "hebdo"])  # no server listening
    assert result.exit_code == 1 and "injoignable" in result.output


@pytest.mark.parametrize(
    "title",
    [
        TITLE,
        "Veille hebdo",
        "Ça  va\têtre « bien » — numérique et éducation au collège Jean-Moulin",
    ],
)
def test_headers_round_trip(title: str) -> None:
    """Python's folder loses or adds spaces in some encoded headers: ours must not."""
    from email import policy
    from email.parser import BytesParser

    from veille.render.email import Envelope, IssueContent, issue_subject, render_message

    sender = "Véronique du Collège <veille@college.fr>"
    for number, date in itertools.product(range(1, 60), ("2 déc. 2026", "30 nov. 2026")):
        content = IssueContent("h", title, number, date, "", "", (), (), "u", "u", "u")
        envelope = Envelope(sender, "a@b.fr", "<x@y>", NOW, "h.v", "https://v/u", "mailto:v@v")
        raw = render_message(content, envelope).as_bytes()
        msg = BytesParser(policy=policy.strict).parsebytes(raw)
        assert msg["Subject"] == issue_subject(content)
        assert msg["List-Id"] == " ".join(title.split()) + " <h.v>"
        assert msg["From"].addresses[0].display_name == "Véronique du Collège"
        assert max(len(line) for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n")) <= 998


def test_two_concurrent_senders_send_each_message_once(
    store: Store, mail_ids: dict[str, str], smtp: MailServer
) -> None:
    """Two processes' worth of senders (own Store, own connections) racing on one issue."""
    import threading

    s, clock = settings(smtp.port), Clock()
    reports: list[object] = []
    barrier = threading.Barrier(2, timeout=10)

    def sender() -> None:
        own = Store(store.url)
        try:
            barrier.wait()
            reports.append(send_issue(own, s, CONFIG, "hebdo", clock))
        finally:
            own.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(reports) == 2
    assert [smtp.count(r) for r in RECIPIENTS] == [1, 1, 1, 1]
    assert len(store.list_issues("hebdo")) == 1
