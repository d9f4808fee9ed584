"""E-mail issues: which period an issue covers, what it carries, its allocation.

::

    period_for(spec, now, tz)        the period closed by the last ``mail.at`` slot (or the next)
    prepared_issue(store, spec, now) THE issue being prepared: number, period, due now or not —
                                     what preview, curation, ``send`` and the scheduler work on
    compose(store, …, number, p)     the content: the digest's selection for the period,
                                     hidden stories left out, its highlights, « À la une »
                                     (``issue_une``), introduction
    allocate(store, …, prepared)     once per (digest, period): number, content snapshot,
                                     archive, outbox rows — ``Store.create_issue``, one transaction

With ``mail: {at: "mon 07:30"}`` and ``window: 7d`` an issue covers the week up to its slot
(Monday 07:30, Europe/Paris) and is sent at that slot. The issue being prepared is the one the
next scheduled send sends: on Wednesday 2 Dec, the one of 30 Nov 07:30 → 7 Dec 07:30. Once its
slot has passed it is *due*: the scheduled job (which may run up to ``SEND_GRACE`` late) or an
explicit ``send`` allocates and sends it; a second ``send`` finds it allocated. Past that grace
an unsent period is not sent any more (it would go out days late; the next one covers the
following week). Numbers follow each other per digest (1, 2, 3…). A highlight goes out only in
the issue whose period contains its entry: choosing one outside it is refused.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from veille.config.durations import parse_mail_at
from veille.errors import MailError
from veille.models import Config, DigestSpec, EntryView, Selection, Une
from veille.render.email import (
    PER_SECTION,
    Envelope,
    IssueContent,
    compose_issue,
    issue_subject,
    one_line,
    render_archive_html,
    render_message,
    render_text,
)
from veille.render.french import french_datetime, period_label
from veille.selection import digest_selection, select_entries, une_lines
from veille.settings import Settings
from veille.signing import Signer, secret_problem, signer_for
from veille.store import Store
from veille.store.mail import Delivery, IssueDraft, IssueRecord

log = logging.getLogger(__name__)

SELECTION_LIMIT = 500
ARCHIVE_CSS = "/mail/email.css"
# How late the scheduler still runs a missed ``mail.at`` job (a restart, a busy machine); within
# it, a period whose slot has passed and that was not allocated is still the one to send.
SEND_GRACE = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Period:
    key: str  # "2026-11-30": local date of the slot that closes the period
    start: datetime
    end: datetime

    def covers(self, when: datetime) -> bool:
        """Is ``when`` in the period (start included, end excluded, like the selection)?"""
        return self.start <= when < self.end

    def label(self, tz: ZoneInfo) -> str:
        """``du 30 nov. au 7 déc. 2026``."""
        return period_label(self.start, self.end, tz)


@dataclass(frozen=True, slots=True)
class Prepared:
    """The issue being prepared: the one the next scheduled send sends."""

    digest: str
    number: int
    period: Period
    due: bool  # its slot has passed: a send now allocates and sends it

    def when(self, tz: ZoneInfo) -> str:
        """When it goes out, in French: ``maintenant`` or ``le 7 déc. 2026 à 07:30``."""
        return "maintenant" if self.due else f"le {french_datetime(self.period.end, tz)}"


# --- configuration and schedule -------------------------------------------------------------


def require_secret(settings: Settings) -> Signer:
    """The unsubscribe signer; MailError (French) when VEILLE_SECRET_KEY is unusable."""
    problem = secret_problem(settings.secret_key)
    if problem:
        raise MailError(problem)
    return signer_for(settings, "unsubscribe")


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


def prepared_issue(store: Store, spec: DigestSpec, now: datetime, tz: ZoneInfo) -> Prepared:
    """The issue being prepared at ``now``: the period closed by the last slot while that slot
    is less than ``SEND_GRACE`` old and its issue was not allocated (due: the scheduled send
    runs at the slot, maybe a little late); otherwise the period closed by the next slot. A
    digest without ``mail.at`` covers its window up to ``now``, always due."""
    number = store.last_issue_number(spec.name) + 1
    closed = period_for(spec, now, tz)
    if spec.mail is None:
        return Prepared(spec.name, number, closed, due=True)
    if now - closed.end <= SEND_GRACE and store.issue_for_period(spec.name, closed.key) is None:
        return Prepared(spec.name, number, closed, due=True)
    return Prepared(spec.name, number, period_for(spec, now, tz, after=True), due=False)


def digest_spec(config: Config, name: str) -> DigestSpec:
    spec = config.digest(name)
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
    """The content of issue ``number`` for period ``p``, and the highlights it carries: those
    waiting whose entry is in ``p`` (the others wait for the issue that covers them)."""
    tz = ZoneInfo(settings.timezone)
    entries, picks = issue_entries(store, spec, p)
    une = issue_une(store, config, spec, p, picks)
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
        une=une.lines,
    )
    return content, [e.id for e, _ in picks]


def issue_entries(
    store: Store, spec: DigestSpec, p: Period
) -> tuple[list[EntryView], list[tuple[EntryView, str]]]:
    """What an issue of period ``p`` is made of (and what its curation page shows): the
    digest's selection for the period, hidden stories left out, and the highlights waiting
    whose entry is in ``p``, with their notes."""
    entries = list(select_entries(store, _period_selection(spec, p)).entries)
    picks: list[tuple[EntryView, str]] = []
    for h in store.highlights(spec.name):
        entry = store.get_entry(int(h.entry_id))
        if entry is not None and may_highlight(spec, p, entry):
            picks.append((entry, h.note))
    return entries, picks


def issue_une(
    store: Store,
    config: Config,
    spec: DigestSpec,
    p: Period,
    picks: Sequence[tuple[EntryView, str]],
) -> Une:
    """« À la une » of the issue of period ``p`` (and of its curation page), as it stands at
    the period's end; the highlights (``picks``) stay first, alone."""
    leave_out = {e.story for e, _ in picks}
    return une_lines(store, config, spec, _period_selection(spec, p), p.end, leave_out=leave_out)


def _period_selection(spec: DigestSpec, p: Period) -> Selection:
    """The digest's selection over the period of an issue."""
    return replace(digest_selection(spec, p.end, limit=SELECTION_LIMIT), since=p.start, until=p.end)


def may_highlight(spec: DigestSpec, p: Period, entry: EntryView) -> bool:
    """Can ``entry`` be a highlight of the issue of period ``p``? Only if published in it —
    but a digest that is not mailed has no issues: any entry will do (its web page)."""
    return spec.mail is None or p.covers(entry.published)


def next_issue(
    store: Store,
    settings: Settings,
    config: Config,
    name: str,
    now: datetime,
    per_section: int = PER_SECTION,
) -> tuple[IssueContent, Prepared]:
    """The issue being prepared as it looks now (``mail preview``, the curation page)."""
    spec = digest_spec(config, name)
    prepared = prepared_issue(store, spec, now, ZoneInfo(settings.timezone))
    content, _ = compose(
        store, settings, config, spec, prepared.number, prepared.period, per_section
    )
    return content, prepared


def choose_highlight(
    store: Store, settings: Settings, spec: DigestSpec, entry_id: str, note: str, now: datetime
) -> bool:
    """Make an entry a highlight of the issue being prepared (or change its note). False: no
    such entry; MailError (French) when it was published outside that issue's period — it
    would not go out with it."""
    entry = store.get_entry(int(entry_id)) if entry_id.strip().isdigit() else None
    if entry is None:
        return False
    tz = ZoneInfo(settings.timezone)
    prepared = prepared_issue(store, spec, now, tz)
    if not may_highlight(spec, prepared.period, entry):
        raise MailError(
            f"« {one_line(entry.title)} », publié le {french_datetime(entry.published, tz)}, "
            f"est hors de la période du n° {prepared.number} ({prepared.period.label(tz)}) : "
            "il ne peut pas en être un coup de cœur."
        )
    return store.set_highlight(spec.name, entry.id, note, now)


def allocate(
    store: Store,
    settings: Settings,
    config: Config,
    spec: DigestSpec,
    prepared: Prepared,
    now: datetime,
) -> tuple[IssueRecord, bool]:
    """The issue ``prepared`` (due): found, or allocated with its outbox rows (True)."""
    p = prepared.period
    found = store.issue_for_period(spec.name, p.key)
    if found is not None:
        return found, False
    number = prepared.number
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
