"""Delivering the queued notifications, each row claimed before it is sent.

::

    notify_due(store, settings, config, clock)      the scheduler's step, every tick
      = recover              rows left 'sending' by a dead process (see below)
      │ events.queue_due     the events due now, one row each (UNIQUE: never queued twice)
      │ deliver              per due row: claim → Matrix PUT / webhook POST → 'sent';
                             or retried with back-off, or 'failed', or 'unknown'

What happens to a row that did not go through:

- refused for good (an encrypted room, a token or a URL refused with a 4xx, a private
  address): 'failed' at once, with the French reason, shown by ``veille notify status``;
- not sent at all (server unreachable, 429, 5xx, a missing secret): tried again with the
  e-mails' back-off (1 min, 2, 4… capped at 6 h; ``MAX_ATTEMPTS``, then 'failed');
- sent, but its answer lost (timeout, connection cut): a Matrix row is tried again — the
  homeserver recognises its transaction id and does not post it twice —; a webhook row
  becomes 'unknown' and is not resent automatically (at-most-once, as e-mails: a chat's
  incoming webhook would show it twice); ``veille notify resend`` decides;
- left 'sending' by a process that died: the same rule (Matrix: 'pending' again within the
  homeserver's 24 hours of transaction ids; webhook: 'unknown').
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from veille.errors import BlockedURLError, ConnectError, FetchError, NotifyError
from veille.ingest.fetch import Fetcher
from veille.ingest.service import fetch_policy
from veille.mailing.delivery import MAX_ATTEMPTS, backoff, is_dead, worker_id
from veille.models import Config, NotifyTarget
from veille.notify import matrix, webhook
from veille.notify.events import queue_due
from veille.settings import Settings
from veille.store import Store
from veille.store.notify import Notification
from veille.store.outbox import DeliveryStatus

log = logging.getLogger(__name__)

# Synapse forgets transaction ids after 24 hours: past that, a resend could post twice.
TXN_MEMORY = timedelta(hours=20)


@dataclass(frozen=True, slots=True)
class NotifyReport:
    queued: int = 0  # events queued by this run
    sent: int = 0
    retry: int = 0  # will be tried again (back-off)
    failed: int = 0
    unknown: int = 0  # a webhook's answer was lost: maybe delivered, not resent

    @property
    def ok(self) -> bool:
        return not (self.retry or self.failed or self.unknown)


def target_of(config: Config, row: Notification) -> NotifyTarget | None:
    """The target of feeds.yaml a row was queued for (None: removed since)."""
    spec = config.digest(row.digest)
    return next((t for t in spec.notify if t.key == row.target), None) if spec else None


def recover(store: Store, now: datetime) -> list[Notification]:
    """Rows left 'sending' by a dead process: Matrix rows back to 'pending' (the homeserver
    recognises a resend of the same transaction id), webhook rows to 'unknown'."""

    def status_of(row: Notification) -> DeliveryStatus:
        fresh = row.claimed_at is not None and now - row.claimed_at < TXN_MEMORY
        return "pending" if row.kind == "matrix" and fresh else "unknown"

    lost = store.notifications_interrupted(lambda by, at: is_dead(by, at, now), status_of)
    for row in lost:
        log.warning("interrupted notification", extra={"feed": row.digest, "status": row.event})
    return lost


async def deliver(
    store: Store,
    config: Config,
    fetcher: Fetcher,
    rows: Sequence[Notification],
    clock: Callable[[], datetime],
    *,
    early: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> NotifyReport:
    """Send the given pending rows, one after the other (``early``: even those whose next
    attempt is not due yet — an operator's explicit send)."""
    counts = {"sent": 0, "retry": 0, "failed": 0, "unknown": 0}
    worker = worker_id()
    for row in rows:
        if not store.claim_notification(row.id, worker, clock(), due_only=not early):
            continue
        outcome, detail, asked = await _attempt(config, fetcher, row, clock, environ)
        if outcome == "sent":
            store.notification_sent(row.id, clock(), detail or None)
        elif outcome == "retry" and row.attempts + 1 < MAX_ATTEMPTS:
            delay = max(backoff(row.attempts + 1), asked or timedelta(0))
            store.notification_retry(row.id, detail, clock() + delay)
        else:
            ended: DeliveryStatus = "unknown" if outcome == "unknown" else "failed"
            store.notification_ended(row.id, ended, detail)
            outcome = ended
        counts[outcome] += 1
        log.info("notification", extra={"feed": row.digest, "status": outcome})
    return NotifyReport(**counts)


async def _attempt(
    config: Config,
    fetcher: Fetcher,
    row: Notification,
    clock: Callable[[], datetime],
    environ: Mapping[str, str],
) -> tuple[str, str, timedelta | None]:
    """``(outcome, detail, delay asked)``: ``("sent", event id, None)``, or 'retry' /
    'failed' / 'unknown' with the French reason (and the delay a 429 asked for)."""
    target = target_of(config, row)
    if target is None:
        return "failed", "destination retirée de feeds.yaml", None
    try:
        return "sent", await _send(fetcher, target, row, clock, environ), None
    except NotifyError as e:
        return ("failed" if e.permanent else "retry"), str(e), e.retry_after
    except BlockedURLError as e:
        hint = " (à autoriser dans VEILLE_ALLOW_HOSTS s'il s'agit d'un intranet)"
        return "failed", f"{e}{hint}", None
    except ConnectError as e:
        return "retry", str(e), None
    except FetchError as e:  # the request left: did it arrive?
        if row.kind == "matrix":
            return "retry", str(e), None
        return "unknown", f"{e} : le webhook a pu la recevoir (non renvoyée)", None


async def _send(
    fetcher: Fetcher,
    target: NotifyTarget,
    row: Notification,
    clock: Callable[[], datetime],
    environ: Mapping[str, str],
) -> str:
    secret = environ.get(target.secret_env, "") if target.secret_env else ""
    if target.kind == "matrix":
        if not secret:
            raise NotifyError(
                f"variable d'environnement {target.secret_env} absente ou vide : le jeton "
                "d'accès du compte Matrix"
            )
        client = matrix.MatrixClient(fetcher, target.url, secret, target.secret_env, clock)
        return await client.send(target.room, row.txn_id, json.loads(row.payload))
    if target.secret_env and not secret:
        raise NotifyError(
            f"variable d'environnement {target.secret_env} absente ou vide : le secret qui "
            "signe les notifications"
        )
    await webhook.post(
        fetcher,
        target.url,
        row.payload.encode(),
        delivery=row.txn_id,
        event=row.event,
        secret=secret,
        now=clock,
    )
    return ""


async def notify_due(
    store: Store,
    settings: Settings,
    config: Config,
    clock: Callable[[], datetime],
    *,
    digest: str | None = None,
    explicit: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> NotifyReport:
    """Queue what is due now and deliver the rows waiting: the scheduler's step (due rows
    only), or an operator's ``veille notify send`` (``explicit``: every pending row now).
    Nothing to do costs a few indexed queries and opens no connection."""
    await asyncio.to_thread(recover, store, clock())
    queued = await asyncio.to_thread(queue_due, store, settings, config, clock())
    if explicit:
        rows = store.notifications(digest, ["pending"])[::-1]
    else:
        rows = store.due_notifications(clock(), digest)
    if not rows:
        return NotifyReport(queued=queued)
    async with Fetcher(fetch_policy(settings), now=clock) as fetcher:
        report = await deliver(store, config, fetcher, rows, clock, early=explicit, environ=environ)
    return NotifyReport(queued, report.sent, report.retry, report.failed, report.unknown)
