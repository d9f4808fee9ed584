"""The scheduler's heartbeat: each tick records when it ran, and which process ran it, in the
store's meta table — one small write a minute — so that ``/healthz`` and ``/metrics`` of any
replica (a ``veille serve --no-scheduler`` beside a ``veille worker``) can tell whether the
scheduling goes on, without asking the scheduler's process.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy.exc import SQLAlchemyError

from veille.store import Store

log = logging.getLogger(__name__)

TICK_KEY = "scheduler_tick"
# A tick starts every minute, but waits while the previous one still updates feeds: a long
# update is normal; a quarter of an hour without a tick is not.
LATE_AFTER = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Tick:
    at: datetime
    by: str  # the process (``process_id``)

    def status(self, now: datetime) -> str:
        """``ok``, or ``late`` when no tick started for ``LATE_AFTER``."""
        return "late" if now - self.at > LATE_AFTER else "ok"


@cache
def process_id() -> str:
    """This process, distinct from any other one even after a restart with the same pid (a
    container's pid 1): host, pid and a random part drawn once."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


def record_tick(store: Store, now: datetime) -> None:
    """Record a tick; a store that refuses the write (read-only) is logged, and the tick goes
    on: the heartbeat is a report, never a reason not to update the feeds."""
    try:
        store.set_meta(TICK_KEY, json.dumps({"at": now.isoformat(), "by": process_id()}))
    except SQLAlchemyError as e:
        log.warning("heartbeat not recorded: %s", e)


def last_tick(store: Store) -> Tick | None:
    """The last recorded tick (None: no scheduler ever ran on this database)."""
    raw = store.get_meta(TICK_KEY)
    if raw is None:
        return None
    value = json.loads(raw)
    return Tick(datetime.fromisoformat(value["at"]), value["by"])
