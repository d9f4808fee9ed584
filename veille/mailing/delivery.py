"""SMTP delivery of the e-mailed digests, through an outbox.

::

    send_issue(store, settings, config, name, clock, explicit=…)
      = recover                      rows left 'sending' by a dead process → 'unknown'
      │ issues.prepared_issue        the issue being prepared; due once its slot has passed
      │ issues.allocate              if due, once per (digest, period): number, content
      │                              snapshot, archive, and one outbox row per active
      │                              recipient, in ONE transaction (else: the last issue)
      │ deliver                      per row: claim (UPDATE … WHERE status='pending') → SMTP
                                     transaction → 'sent' at once; or retry / failed / unknown

**Never twice: at-most-once.** A row is sent only by the process that claimed it, and marked
'sent' right after the server's 250. The only window is a crash between that 250 and the
UPDATE (milliseconds), or a connection lost *during* DATA: the server may have accepted the
message, so such a row becomes 'unknown' and is NOT resent automatically; ``veille mail
status`` shows it and ``veille mail resend`` sends it again on an editor's decision. The
Message-ID is deterministic per (digest, issue, recipient), so a duplicate after such a resend
is recognisable. Refusals before DATA are safe to retry: connection refused, timeouts at
connect, 4xx replies → retried with exponential backoff (1 min, 2, 4… capped at 6 h;
``MAX_ATTEMPTS`` then 'failed'); 5xx replies for a recipient → 'failed' at once. The back-off
paces the automatic retries only: an operator's explicit ``veille mail send`` tries the
pending rows of the issue now (still claimed one by one: never twice).

The period: with ``mail: {at: "mon 07:30"}`` an issue covers ``window`` up to its slot
(Monday 07:30, Europe/Paris) and is sent at that slot (``issues.prepared_issue``). A second
``send`` finds the issue allocated and its rows sent: it sends nothing; a ``send`` in the
middle of the week does not send the week in progress. The scheduler calls ``send_due`` at
each slot (``mail_jobs``) and ``retry_due`` every tick for the retries.
"""

from __future__ import annotations

import asyncio
import logging
import os
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from veille.mailing.issues import (
    MailError,
    allocate,
    build_message,
    digest_spec,
    prepared_issue,
    require_secret,
)
from veille.models import Config
from veille.settings import Settings
from veille.store import Store
from veille.store.mail import Delivery, IssueRecord

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
STALE = timedelta(minutes=15)  # a 'sending' row of another machine older than this is dead
SMTP_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class SendReport:
    digest: str
    number: int
    subject: str
    new_issue: bool = False
    sent: int = 0
    retry: int = 0  # will be tried again (backoff)
    failed: int = 0
    unknown: int = 0  # interrupted: maybe delivered, not resent
    skipped: int = 0  # unsubscribed after the issue was allocated
    error: str | None = None  # why the server could not be used, if so

    @property
    def ok(self) -> bool:
        return not (self.retry or self.failed or self.unknown or self.error)


# --- SMTP -------------------------------------------------------------------------------------


class _Ambiguous(Exception):
    """The connection broke during DATA: the server may have accepted the message."""


def connect(settings: Settings, context: ssl.SSLContext | None = None) -> smtplib.SMTP:
    """An SMTP session per the settings (``none|starttls|ssl``, optional login)."""
    host, port = settings.smtp_host, settings.smtp_port
    if settings.smtp_tls != "none" and context is None:
        # Certificates are always verified; an academy's internal CA can be trusted explicitly.
        context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
    if settings.smtp_tls == "ssl":
        conn: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context)
    else:
        conn = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    try:
        conn.ehlo()
        if settings.smtp_tls == "starttls":
            conn.starttls(context=context)
            conn.ehlo()
        if settings.smtp_user:
            conn.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        conn.close()
        raise
    return conn


def _transaction(conn: smtplib.SMTP, sender: str, recipient: str, payload: bytes) -> None:
    code, reply = conn.mail(sender)
    if code != 250:
        conn.rset()
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = conn.rcpt(recipient)
    if code not in (250, 251):
        conn.rset()
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    try:
        conn.data(payload)
    except (OSError, smtplib.SMTPServerDisconnected) as e:
        raise _Ambiguous(str(e) or type(e).__name__) from e


def _smtp_error(e: BaseException) -> tuple[str, bool]:
    """(French message, permanent?) of an SMTP failure."""
    reply: bytes | str
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(e.recipients.values()))
    elif isinstance(e, smtplib.SMTPResponseException):
        code, reply = e.smtp_code, e.smtp_error
    else:
        return f"serveur SMTP injoignable : {e or type(e).__name__}", False
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return f"authentification SMTP refusée ({code} {text})", False
    kind = "refus définitif" if 500 <= code < 600 else "refus temporaire"
    return f"{kind} du serveur SMTP : {code} {text}", 500 <= code < 600


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_dead(claimed_by: str | None, claimed_at: datetime | None, now: datetime) -> bool:
    """Did the process that claimed a row die? Sure on this machine (its pid is gone);
    elsewhere, after ``STALE``."""
    host, _, pid = (claimed_by or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return claimed_at is None or now - claimed_at > STALE


def deliver(
    store: Store,
    settings: Settings,
    issue: IssueRecord,
    rows: Sequence[Delivery],
    clock: Callable[[], datetime],
    *,
    context: ssl.SSLContext | None = None,
    early: bool = False,
) -> SendReport:
    """Send the given pending rows of ``issue``, one SMTP transaction each (``early``: even
    those whose next attempt is not due yet)."""
    signer = require_secret(settings)
    counts = {"sent": 0, "retry": 0, "failed": 0, "unknown": 0, "skipped": 0}
    gone = store.unsubscribed(issue.digest)
    sender = settings.mail_from.rpartition("<")[2].rstrip(">").strip()
    worker, conn, error = worker_id(), None, None
    try:
        for i, d in enumerate(rows):
            if conn is None:
                try:
                    conn = connect(settings, context)
                except (OSError, smtplib.SMTPException) as e:
                    error, _ = _smtp_error(e)
                    for rest in rows[i:]:
                        give_up = rest.attempts + 1 >= MAX_ATTEMPTS
                        later = clock() + backoff(rest.attempts + 1)
                        store.postpone(rest.id, error, later, give_up)
                        counts["failed" if give_up else "retry"] += 1
                    break
            if not store.claim_delivery(d.id, worker, clock(), due_only=not early):
                continue
            if d.recipient.strip().lower() in gone:
                store.mark_skipped(d.id, "désabonné")
                counts["skipped"] += 1
                continue
            payload = build_message(settings, signer, issue, d, clock()).as_bytes()
            try:
                _transaction(conn, sender, d.recipient, payload)
            except _Ambiguous as e:
                store.mark_unknown(d.id, f"connexion perdue pendant l'envoi : {e}")
                counts["unknown"] += 1
                _close(conn)
                conn = None
                continue
            except (OSError, smtplib.SMTPException) as e:
                message, permanent = _smtp_error(e)
                if permanent or d.attempts + 1 >= MAX_ATTEMPTS:
                    store.mark_failed(d.id, message)
                    counts["failed"] += 1
                else:
                    store.mark_retry(d.id, message, clock() + backoff(d.attempts + 1))
                    counts["retry"] += 1
                if isinstance(e, OSError | smtplib.SMTPServerDisconnected):
                    _close(conn)
                    conn = None
                continue
            store.mark_sent(d.id, clock())  # right after the 250: the only window
            counts["sent"] += 1
    finally:
        _close(conn)
    status = "error" if error else "ok"
    log.info(
        "issue delivered", extra={"feed": issue.digest, "status": status, "new": counts["sent"]}
    )
    return SendReport(
        issue.digest,
        issue.number,
        issue.subject,
        sent=counts["sent"],
        retry=counts["retry"],
        failed=counts["failed"],
        unknown=counts["unknown"],
        skipped=counts["skipped"],
        error=error,
    )


def _close(conn: smtplib.SMTP | None) -> None:
    """Close a session, politely if it still answers."""
    if conn is not None:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()


def recover(store: Store, now: datetime) -> list[Delivery]:
    """Rows left 'sending' by a dead process become 'unknown' (see the module docstring)."""
    lost = store.mark_interrupted(lambda by, at: is_dead(by, at, now), now)
    for d in lost:
        log.warning("interrupted delivery", extra={"feed": d.digest, "status": "unknown"})
    return lost


def send_issue(
    store: Store,
    settings: Settings,
    config: Config,
    name: str,
    clock: Callable[[], datetime],
    *,
    explicit: bool = False,
    context: ssl.SSLContext | None = None,
) -> SendReport | None:
    """Send digest ``name``'s issue: the issue being prepared when it is due (allocated
    first), else the last issue's waiting deliveries. The scheduler's run (``explicit``
    False) sends only the rows whose back-off has passed; an operator's ``explicit`` send
    tries every pending row now. None: no issue is due and none was ever allocated."""
    spec = digest_spec(config, name)
    if spec.mail is None or not spec.mail.to:
        raise MailError(
            f"la sélection « {name} » n'a pas de destinataires (clé mail: de feeds.yaml)"
        )
    require_secret(settings)
    lost = recover(store, clock())
    prepared = prepared_issue(store, spec, clock(), ZoneInfo(settings.timezone))
    if prepared.due:
        issue, new = allocate(store, settings, config, spec, prepared, clock())
    else:
        found, new = store.get_issue(name, prepared.number - 1), False
        if found is None:
            return None
        issue = found
    if explicit:
        rows = store.deliveries(name, issue.number, ["pending"])
    else:
        rows = [d for d in store.due_deliveries(clock(), name) if d.number == issue.number]
    report = deliver(store, settings, issue, rows, clock, context=context, early=explicit)
    found_lost = sum((d.digest, d.number) == (name, issue.number) for d in lost)
    return replace(report, new_issue=new, unknown=report.unknown + found_lost)


def retry_pending(
    store: Store, settings: Settings, clock: Callable[[], datetime]
) -> list[SendReport]:
    """Deliver every due pending row of issues already allocated (retries, requeued rows)."""
    require_secret(settings)
    recover(store, clock())
    reports = []
    due = store.due_deliveries(clock())
    for key in dict.fromkeys((d.digest, d.number) for d in due):
        issue = store.get_issue(*key)
        if issue is not None:
            rows = [d for d in due if (d.digest, d.number) == key]
            reports.append(deliver(store, settings, issue, rows, clock))
    return reports


async def send_due(
    store: Store, settings: Settings, config: Config, name: str, clock: Callable[[], datetime]
) -> SendReport | None:
    """The scheduler's job at each ``mail.at`` slot (SMTP runs in a thread)."""
    return await asyncio.to_thread(send_issue, store, settings, config, name, clock)


async def retry_due(
    store: Store, settings: Settings, clock: Callable[[], datetime]
) -> list[SendReport]:
    """The scheduler's retry job (every tick): nothing to do costs one indexed query."""
    if not store.due_deliveries(clock()):
        return []
    return await asyncio.to_thread(retry_pending, store, settings, clock)


__all__ = [
    "MAX_ATTEMPTS", "MailError", "SendReport", "backoff", "connect", "deliver", "is_dead",
    "recover", "retry_due", "retry_pending", "send_due", "send_issue",
]  # fmt: skip
