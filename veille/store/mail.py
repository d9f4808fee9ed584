"""E-mail issues and their outbox.

An issue is allocated once per ``(digest, period)`` (UNIQUE), with its number, its archived
rendering and a JSON snapshot of its content. In the same transaction, one outbox row per
active recipient is created (UNIQUE ``(digest, number, recipient)``), so a second allocation
or a second ``send`` can never add a message. A row moves::

    pending ──claim──► sending ──► sent
       ▲                  │ └────► failed     (permanent refusal, or too many attempts)
       └── retry (backoff)┘
    sending, found after a crash ──► unknown  (never resent automatically: at-most-once)
    unknown | failed ──requeue (explicit command)──► pending

Claiming is one ``UPDATE … WHERE status = 'pending'`` over the row selected ``FOR UPDATE SKIP
LOCKED``: whoever changes the row owns it; a concurrent sender skips it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from veille.store import outbox
from veille.store.curation import CurationMixin
from veille.store.outbox import DeliveryStatus, RowState
from veille.store.tables import highlight_t, issue_t, outbox_t, unsubscribe_t

__all__ = ["Delivery", "DeliveryStatus", "IssueDraft", "IssueRecord", "MailMixin"]


@dataclass(frozen=True, slots=True)
class IssueDraft:
    """An issue ready to be allocated (rendered by the caller for its number)."""

    digest: str
    number: int
    period: str  # the period's key, e.g. "2026-11-30" (date of the scheduled send)
    period_start: datetime
    period_end: datetime
    subject: str
    html: str  # archive rendering (no personal link)
    text: str
    content: str  # JSON snapshot: every recipient's message is rendered from it


@dataclass(frozen=True, slots=True)
class IssueRecord:
    digest: str
    number: int
    period: str
    period_start: datetime
    period_end: datetime
    created_at: datetime
    subject: str
    html: str
    text: str
    content: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery(RowState):
    digest: str
    number: int
    recipient: str
    message_id: str


class MailMixin(CurationMixin):
    # --- issues --------------------------------------------------------------------------

    def last_issue_number(self, digest: str) -> int:
        query = sa.select(sa.func.max(issue_t.c.number)).where(issue_t.c.digest == digest)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def issue_for_period(self, digest: str, period: str) -> IssueRecord | None:
        return self._issue((issue_t.c.digest == digest) & (issue_t.c.period == period))

    def get_issue(self, digest: str, number: int) -> IssueRecord | None:
        return self._issue((issue_t.c.digest == digest) & (issue_t.c.number == number))

    def list_issues(self, digest: str | None = None) -> list[IssueRecord]:
        """Issues newest first (all digests, or one)."""
        query = sa.select(issue_t).order_by(issue_t.c.created_at.desc(), issue_t.c.number.desc())
        if digest is not None:
            query = query.where(issue_t.c.digest == digest)
        with self.engine.connect() as conn:
            return [IssueRecord(**r._mapping) for r in conn.execute(query)]

    def _issue(self, where: Any) -> IssueRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(issue_t).where(where)).first()
        return IssueRecord(**row._mapping) if row else None

    def create_issue(
        self,
        draft: IssueDraft,
        recipients: Sequence[tuple[str, str]],
        *,
        highlights: Iterable[str],
        now: datetime,
    ) -> IssueRecord | None:
        """Allocate ``draft`` and queue one message per ``(address, message_id)`` whose address
        is not unsubscribed — in ONE transaction, before anything is sent. The highlights
        shown (entry ids) are attached to the issue. Returns None when the number or the
        period was taken meanwhile (the caller reads the issue that won)."""
        try:
            with self._write() as conn:
                conn.execute(sa.insert(issue_t).values(created_at=now, **_fields(draft)))
                gone = set(
                    conn.execute(
                        sa.select(unsubscribe_t.c.address).where(
                            unsubscribe_t.c.digest == draft.digest
                        )
                    ).scalars()
                )
                rows = [
                    {
                        "digest": draft.digest,
                        "number": draft.number,
                        "recipient": address,
                        "message_id": message_id,
                        "status": "pending",
                        "attempts": 0,
                    }
                    for address, message_id in dict(recipients).items()
                    if address.strip().lower() not in gone
                ]
                if rows:
                    conn.execute(sa.insert(outbox_t), rows)
                ids = [int(i) for i in highlights]
                if ids:
                    conn.execute(
                        sa.update(highlight_t)
                        .where(
                            highlight_t.c.digest == draft.digest,
                            highlight_t.c.issue_number.is_(None),
                            highlight_t.c.entry_id.in_(ids),
                        )
                        .values(issue_number=draft.number)
                    )
        except sa.exc.IntegrityError:
            return None
        return self.get_issue(draft.digest, draft.number)

    # --- the outbox ----------------------------------------------------------------------

    def deliveries(
        self,
        digest: str | None = None,
        number: int | None = None,
        statuses: Iterable[DeliveryStatus] | None = None,
    ) -> list[Delivery]:
        query = sa.select(outbox_t).order_by(
            outbox_t.c.digest, outbox_t.c.number.desc(), outbox_t.c.id
        )
        if digest is not None:
            query = query.where(outbox_t.c.digest == digest)
        if number is not None:
            query = query.where(outbox_t.c.number == number)
        if statuses is not None:
            query = query.where(outbox_t.c.status.in_(list(statuses)))
        with self.engine.connect() as conn:
            return [Delivery(**r._mapping) for r in conn.execute(query)]

    def due_deliveries(self, now: datetime, digest: str | None = None) -> list[Delivery]:
        """Pending rows whose next attempt is due, oldest first."""
        query = outbox.due(outbox_t, now)
        if digest is not None:
            query = query.where(outbox_t.c.digest == digest)
        with self.engine.connect() as conn:
            return [Delivery(**r._mapping) for r in conn.execute(query)]

    def claim_delivery(
        self, delivery_id: int, worker: str, now: datetime, *, due_only: bool = True
    ) -> bool:
        """Atomically take a pending row for sending (``outbox.claim``); False if someone
        else has it."""
        return self._write_one(outbox.claim(outbox_t, delivery_id, worker, now, due_only)) == 1

    def mark_sent(self, delivery_id: int, now: datetime) -> None:
        self._write_one(outbox.sent(outbox_t, delivery_id, now))

    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None:
        self._write_one(outbox.retry(outbox_t, delivery_id, error, next_attempt_at))

    def mark_failed(self, delivery_id: int, error: str) -> None:
        self._write_one(outbox.ended(outbox_t, delivery_id, "failed", error))

    def mark_unknown(self, delivery_id: int, error: str) -> None:
        self._write_one(outbox.ended(outbox_t, delivery_id, "unknown", error))

    def mark_skipped(self, delivery_id: int, reason: str) -> None:
        self._write_one(outbox.ended(outbox_t, delivery_id, "skipped", reason))

    def postpone(
        self, delivery_id: int, error: str, next_attempt_at: datetime | None, give_up: bool
    ) -> None:
        """A pending row that could not even be tried (``outbox.postpone``)."""
        self._write_one(outbox.postpone(outbox_t, delivery_id, error, next_attempt_at, give_up))

    def mark_interrupted(
        self, is_dead: Callable[[str | None, datetime | None], bool], now: datetime
    ) -> list[Delivery]:
        """Rows left in 'sending' by a process that died: 'unknown' (the message may or may
        not have been accepted by the server; at-most-once: they are not resent)."""
        stuck = self.deliveries(statuses=["sending"])
        dead = [d for d in stuck if is_dead(d.claimed_by, d.claimed_at)]
        if dead:
            self._write_one(outbox.interrupted(outbox_t, [d.id for d in dead], "unknown"))
        return dead

    def requeue(
        self,
        digest: str,
        number: int,
        recipient: str | None = None,
        statuses: Sequence[DeliveryStatus] = ("unknown", "failed"),
    ) -> int:
        """Put 'unknown'/'failed' rows back in the queue (an explicit editor's decision)."""
        query = outbox.requeue(outbox_t, tuple(statuses)).where(
            outbox_t.c.digest == digest, outbox_t.c.number == number
        )
        if recipient is not None:
            query = query.where(sa.func.lower(outbox_t.c.recipient) == recipient.strip().lower())
        return self._write_one(query)


def _fields(draft: IssueDraft) -> dict[str, Any]:
    return {name: getattr(draft, name) for name in IssueDraft.__slots__}  # type: ignore[attr-defined]
