"""E-mail issues (issue 6): which period an issue covers, what it carries, its allocation.

::

    period_for(spec, now, tz)       the period closed by the last ``mail.at`` slot
    compose(store, …, number, p)    the content: the digest's selection for the period,
                                    hidden stories left out, pending highlights, introduction
    allocate(store, …, spec, now)   once per (digest, period): number, content snapshot,
                                    archive, outbox rows — ``Store.create_issue``, one transaction

With ``mail: {at: "mon 07:30"}`` an issue covers ``window`` up to the last slot (Monday 07:30,
Europe/Paris): the issue of a period is the same whenever ``send`` runs in it, so a second
``send`` finds it allocated. Numbers follow each other per digest (1, 2, 3…).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from .config import parse_mail_at
from .errors import MailError
from .models import Config, DigestSpec, EntryView
from .render.email import (
    PER_SECTION,
    Envelope,
    IssueContent,
    compose_issue,
    issue_subject,
    render_archive_html,
    render_message,
    render_text,
)
from .select import digest_selection, select_entries
from .settings import Settings
from .store import Store
from .store.mail import Delivery, IssueDraft, IssueRecord
from .tokens import Signer, secret_problem

log = logging.getLogger(__name__)

SELECTION_LIMIT = 500
ARCHIVE_CSS = "/mail/email.css"


@dataclass(frozen=True, slots=True)
class Period:
    key: str  # "2026-11-30": local date of the slot that closes the period
    start: datetime
    end: datetime


# --- configuration and schedule -------------------------------------------------------------


def require_secret(settings: Settings) -> Signer:
    """The unsubscribe signer; MailError (French) when VEILLE_SECRET_KEY is unusable."""
    problem = secret_problem(settings.secret_key)
    if problem:
        raise MailError(problem)
    return Signer(settings.secret_key, "unsubscribe")


def mail_jobs(config: Config) -> list[tuple[str, int | None, time]]:
    """``(digest name, weekday or None for every day, local time)`` for each mailed digest:
    what the scheduler turns into CronTriggers (Europe/Paris)."""
    jobs = []
    for d in config.digests:
        if d.mail is not None:
            day, at = parse_mail_at(d.mail.at)
            jobs.append((d.name, day, at))
    return jobs


def period_for(spec: DigestSpec, now: datetime, tz: ZoneInfo, *, after: bool = False) -> Period:
    """The period closed by the last slot at or before ``now`` (``after``: by the first slot
    after ``now``). Without ``mail.at``, the window up to ``now``."""
    if spec.mail is None:
        return Period(now.astimezone(tz).date().isoformat(), now - spec.window, now)
    day, at = parse_mail_at(spec.mail.at)
    local = now.astimezone(tz)
    slot = datetime.combine(local.date(), at, tz)
    step = timedelta(days=1 if day is None else 7)
    if day is not None:
        slot = datetime.combine(local.date() - timedelta((local.weekday() - day) % 7), at, tz)
    if slot > local:
        slot = datetime.combine(slot.date() - step, at, tz)
    if after:
        slot = datetime.combine(slot.date() + step, at, tz)
    return Period(slot.date().isoformat(), slot - spec.window, slot)


def digest_spec(config: Config, name: str) -> DigestSpec:
    spec = next((d for d in config.digests if d.name == name), None)
    if spec is None:
        known = ", ".join(d.name for d in config.digests) or "aucune"
        raise MailError(f"sélection inconnue « {name} » (connues : {known})")
    return spec


# --- composition ----------------------------------------------------------------------------


def compose(
    store: Store,
    settings: Settings,
    config: Config,
    spec: DigestSpec,
    number: int,
    p: Period,
    per_section: int = PER_SECTION,
) -> tuple[IssueContent, list[str]]:
    """The content of issue ``number`` for period ``p``, and the highlights it carries."""
    tz = ZoneInfo(settings.timezone)
    selection = replace(
        digest_selection(spec, p.end, limit=SELECTION_LIMIT), since=p.start, until=p.end
    )
    entries = list(select_entries(store, selection).entries)
    picks: list[tuple[EntryView, str]] = []
    for h in store.highlights(spec.name):
        entry = store.get_entry(int(h.entry_id))
        if entry is not None:
            picks.append((entry, h.note))
    content = compose_issue(
        entries,
        digest=spec,
        number=number,
        period=(p.start, p.end),
        taxonomy=config.tags,
        tz=tz,
        base_url=settings.base_url,
        introduction=store.introduction(spec.name, number),
        highlights=picks,
        per_section=per_section,
    )
    return content, [e.id for e, _ in picks]


def next_issue(
    store: Store,
    settings: Settings,
    config: Config,
    name: str,
    now: datetime,
    per_section: int = PER_SECTION,
) -> tuple[IssueContent, Period]:
    """What the next issue looks like now (for ``mail preview`` and the curation page): the
    current period's if it was not allocated yet, else the following period's (so far)."""
    spec = digest_spec(config, name)
    tz = ZoneInfo(settings.timezone)
    p = period_for(spec, now, tz)
    if spec.mail is not None and store.issue_for_period(name, p.key) is not None:
        p = period_for(spec, now, tz, after=True)
    number = store.last_issue_number(name) + 1
    content, _ = compose(store, settings, config, spec, number, p, per_section)
    return content, p


def allocate(
    store: Store, settings: Settings, config: Config, spec: DigestSpec, now: datetime
) -> tuple[IssueRecord, bool]:
    """The issue of the current period: found, or allocated with its outbox rows (True)."""
    p = period_for(spec, now, ZoneInfo(settings.timezone))
    found = store.issue_for_period(spec.name, p.key)
    if found is not None:
        return found, False
    number = store.last_issue_number(spec.name) + 1
    content, shown = compose(store, settings, config, spec, number, p)
    draft = IssueDraft(
        digest=spec.name,
        number=number,
        period=p.key,
        period_start=p.start,
        period_end=p.end,
        subject=issue_subject(content),
        html=render_archive_html(content, ARCHIVE_CSS),
        text=render_text(content, None),
        content=content.to_json(),
    )
    recipients = spec.mail.to if spec.mail else ()
    rows = [(a, message_id(settings, spec.name, number, a)) for a in recipients]
    issue = store.create_issue(draft, rows, highlights=shown, now=now)
    if issue is None:  # another process allocated it meanwhile
        issue = store.issue_for_period(spec.name, p.key)
        if issue is None:
            raise MailError(f"numéro {number} de « {spec.name} » déjà attribué à une autre période")
        return issue, False
    log.info("issue allocated", extra={"feed": spec.name, "new": len(rows)})
    return issue, True


# --- per-recipient message --------------------------------------------------------------------


def _host(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or settings.mail_from.rpartition("@")[2] or "veille"


def message_id(settings: Settings, digest: str, number: int, recipient: str) -> str:
    """Deterministic per (digest, issue, recipient): a resent message is recognisable."""
    rcpt = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:16]
    return f"<veille.{digest}.{number}.{rcpt}@{_host(settings)}>"


def unsubscribe_url(settings: Settings, signer: Signer, digest: str, recipient: str) -> str:
    token = signer.sign([digest, recipient.strip().lower()])
    return f"{settings.base_url.rstrip('/')}/desabonnement/{token}"


def build_message(
    settings: Settings, signer: Signer, issue: IssueRecord, d: Delivery, now: datetime
) -> EmailMessage:
    content = IssueContent.from_json(issue.content)
    sender = settings.mail_from.rpartition("<")[2].rstrip(">").strip()
    envelope = Envelope(
        sender=settings.mail_from,
        recipient=d.recipient,
        message_id=d.message_id,
        date=now,
        list_id=f"{issue.digest}.{_host(settings)}",
        unsubscribe_url=unsubscribe_url(settings, signer, issue.digest, d.recipient),
        unsubscribe_mailto=f"mailto:{sender}?subject={quote('desabonnement ' + issue.digest)}",
    )
    return render_message(content, envelope)
