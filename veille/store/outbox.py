"""The states of an outbox row, written once for every outbox table (e-mails, notifications).

A row moves (``store/mail.py`` tells why each arrow is safe for e-mail, ``veille.notify`` for
Matrix rooms and webhooks)::

    pending ──claim──► sending ──► sent
       ▲                  │ └────► failed     (permanent refusal, or too many attempts)
       └── retry (backoff)┘
    sending, found after a crash ──► unknown  (or pending, where a resend is harmless)
    unknown | failed ──requeue (explicit command)──► pending

These functions build the statements; the store's mixins run them. Every table they take
has the columns ``id``, ``status``, ``attempts``, ``last_error``, ``next_attempt_at``,
``claimed_by``, ``claimed_at`` and ``sent_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

DeliveryStatus = Literal["pending", "sending", "sent", "failed", "unknown", "skipped"]
INTERRUPTED = "envoi interrompu (processus arrêté) : réception incertaine"


@dataclass(frozen=True, slots=True, kw_only=True)
class RowState:
    """Where the delivery of a row stands (``tables.OutboxRow``'s columns)."""

    id: int
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    claimed_by: str | None
    claimed_at: datetime | None
    sent_at: datetime | None


def due(t: sa.Table, now: datetime) -> sa.Select[Any]:
    """Pending rows whose next attempt is due, oldest first."""
    next_at = t.c.next_attempt_at
    return (
        sa.select(t)
        .where(t.c.status == "pending", sa.or_(next_at.is_(None), next_at <= now))
        .order_by(t.c.id)
    )


def claim(t: sa.Table, row_id: int, worker: str, now: datetime, due_only: bool) -> sa.Update:
    """Take a pending row for sending — due (``due_only``), or even before its next attempt
    (an operator's explicit send); it changes one row, or none when someone else has it.

    The row is locked ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite serialises writers
    anyway): a concurrent sender skips it instead of waiting, and the status condition makes
    the claim fail for whoever comes second."""
    free = sa.select(t.c.id).where(t.c.id == row_id, t.c.status == "pending")
    if due_only:
        free = free.where(sa.or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now))
    return (
        sa.update(t)
        .where(t.c.id.in_(free.with_for_update(skip_locked=True).scalar_subquery()))
        .where(t.c.status == "pending")
        .values(status="sending", claimed_by=worker, claimed_at=now, attempts=t.c.attempts + 1)
    )


def move(t: sa.Table, row_id: int, status: DeliveryStatus, **values: Any) -> sa.Update:
    """Leave 'sending' (only the claimer's row is ever in that state)."""
    return (
        sa.update(t)
        .where(t.c.id == row_id, t.c.status == "sending")
        .values(status=status, **values)
    )


def sent(t: sa.Table, row_id: int, now: datetime, **values: Any) -> sa.Update:
    return move(t, row_id, "sent", sent_at=now, last_error=None, next_attempt_at=None, **values)


def retry(t: sa.Table, row_id: int, error: str, next_attempt_at: datetime) -> sa.Update:
    return move(t, row_id, "pending", last_error=error, next_attempt_at=next_attempt_at)


def ended(t: sa.Table, row_id: int, status: DeliveryStatus, error: str) -> sa.Update:
    """'failed', 'unknown' or 'skipped', with the reason."""
    return move(t, row_id, status, last_error=error, next_attempt_at=None)


def postpone(
    t: sa.Table, row_id: int, error: str, next_attempt_at: datetime | None, give_up: bool
) -> sa.Update:
    """A pending row that could not even be tried (server unreachable): one attempt more,
    then 'pending' until ``next_attempt_at``, or 'failed' when ``give_up``."""
    values: dict[str, Any] = {"attempts": t.c.attempts + 1, "last_error": error}
    values |= {"status": "failed"} if give_up else {"next_attempt_at": next_attempt_at}
    return sa.update(t).where(t.c.id == row_id, t.c.status == "pending").values(**values)


def interrupted(t: sa.Table, ids: list[int], status: DeliveryStatus) -> sa.Update:
    """Rows left 'sending' by a dead process: 'unknown' (never resent automatically), or
    'pending' again where the receiver recognises a resend."""
    values: dict[str, Any] = {"status": status, "last_error": INTERRUPTED}
    if status == "pending":
        values["next_attempt_at"] = None
    return sa.update(t).where(t.c.id.in_(ids), t.c.status == "sending").values(**values)


def requeue(t: sa.Table, statuses: tuple[DeliveryStatus, ...]) -> sa.Update:
    """Put rows in ``statuses`` back in the queue (an explicit decision); the caller narrows
    it with ``.where(…)``."""
    return (
        sa.update(t)
        .where(t.c.status.in_(list(statuses)))
        .values(status="pending", next_attempt_at=None, attempts=0)
    )
