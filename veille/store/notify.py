"""The notification outbox: one row per (digest, target, event), UNIQUE, rendered once when
queued — so a second run, a second scheduler or a restart can never announce an event twice,
and every try sends the same bytes with the same transaction id. Rows move as every outbox
row does (``store/outbox.py``); ``veille.notify`` tells which failures are retried.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from veille.store import outbox
from veille.store.base import StoreBase
from veille.store.outbox import DeliveryStatus, RowState
from veille.store.tables import notify_t

__all__ = ["Notification", "NotificationDraft", "NotifyMixin"]


@dataclass(frozen=True, slots=True)
class NotificationDraft:
    digest: str
    target: str  # NotifyTarget.key
    kind: str
    destination: str
    event: str  # "issue:12", "daily:2026-11-30"
    txn_id: str
    payload: str  # JSON


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification(RowState):
    digest: str
    target: str
    kind: str
    destination: str
    event: str
    txn_id: str
    payload: str
    created_at: datetime
    remote_id: str | None


class NotifyMixin(StoreBase):
    def notification_queued(self, digest: str, target: str, event: str) -> bool:
        """Whether the event was already queued for the target (whatever became of it)."""
        query = sa.select(notify_t.c.id).where(
            notify_t.c.digest == digest, notify_t.c.target == target, notify_t.c.event == event
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def queue_notification(
        self,
        draft: NotificationDraft,
        now: datetime,
        *,
        status: DeliveryStatus = "pending",
        note: str | None = None,
    ) -> bool:
        """Queue ``draft`` (False: that event was already queued for that target — by this
        run or another). ``status`` 'skipped' records an event with nothing to announce,
        ``note`` saying why."""
        values = {name: getattr(draft, name) for name in NotificationDraft.__slots__}  # type: ignore[attr-defined]
        try:
            with self._write() as conn:
                conn.execute(
                    sa.insert(notify_t).values(
                        **values, status=status, attempts=0, created_at=now, last_error=note
                    )
                )
        except sa.exc.IntegrityError:
            return False
        return True

    def notifications(
        self, digest: str | None = None, statuses: Iterable[DeliveryStatus] | None = None
    ) -> list[Notification]:
        """Rows newest first."""
        query = sa.select(notify_t).order_by(notify_t.c.id.desc())
        if digest is not None:
            query = query.where(notify_t.c.digest == digest)
        if statuses is not None:
            query = query.where(notify_t.c.status.in_(list(statuses)))
        return self._notifications(query)

    def due_notifications(self, now: datetime, digest: str | None = None) -> list[Notification]:
        query = outbox.due(notify_t, now)
        if digest is not None:
            query = query.where(notify_t.c.digest == digest)
        return self._notifications(query)

    def claim_notification(
        self, row_id: int, worker: str, now: datetime, *, due_only: bool = True
    ) -> bool:
        return self._write_one(outbox.claim(notify_t, row_id, worker, now, due_only)) == 1

    def notification_sent(self, row_id: int, now: datetime, remote_id: str | None) -> None:
        self._write_one(outbox.sent(notify_t, row_id, now, remote_id=remote_id))

    def notification_retry(self, row_id: int, error: str, next_attempt_at: datetime) -> None:
        self._write_one(outbox.retry(notify_t, row_id, error, next_attempt_at))

    def notification_ended(self, row_id: int, status: DeliveryStatus, error: str) -> None:
        """'failed' or 'unknown', with the reason."""
        self._write_one(outbox.ended(notify_t, row_id, status, error))

    def postpone_notification(
        self, row_id: int, error: str, next_attempt_at: datetime | None, give_up: bool
    ) -> None:
        self._write_one(outbox.postpone(notify_t, row_id, error, next_attempt_at, give_up))

    def notifications_interrupted(
        self,
        is_dead: Callable[[str | None, datetime | None], bool],
        status_of: Callable[[Notification], DeliveryStatus],
    ) -> list[Notification]:
        """Rows left 'sending' by a dead process go to ``status_of(row)``: 'pending' where a
        resend is harmless (the receiver recognises it), else 'unknown'."""
        dead = [
            n
            for n in self.notifications(statuses=["sending"])
            if is_dead(n.claimed_by, n.claimed_at)
        ]
        for status in ("pending", "unknown"):
            ids = [n.id for n in dead if status_of(n) == status]
            if ids:
                self._write_one(outbox.interrupted(notify_t, ids, status))  # type: ignore[arg-type]
        return dead

    def requeue_notifications(
        self,
        digest: str,
        event: str | None = None,
        statuses: tuple[DeliveryStatus, ...] = ("unknown", "failed"),
    ) -> int:
        """Put 'unknown'/'failed' rows back in the queue (an explicit decision)."""
        query = outbox.requeue(notify_t, statuses).where(notify_t.c.digest == digest)
        if event is not None:
            query = query.where(notify_t.c.event == event)
        return self._write_one(query)

    def _notifications(self, query: sa.Select[Any]) -> list[Notification]:
        with self.engine.connect() as conn:
            return [Notification(**r._mapping) for r in conn.execute(query)]
