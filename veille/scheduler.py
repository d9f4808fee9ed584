"""The scheduler: one per deployment (``veille serve`` without ``--no-scheduler``, or
``veille worker``).

Exactly one scheduler is active per deployment: ``run`` first takes the store's scheduler lock
(a PostgreSQL advisory lock, or a file lock beside the SQLite database); a second worker waits
and tries again every ``retry`` seconds, so it takes over shortly after the first one dies.

Every minute (``TICK``) it picks up feeds.yaml changes (``LiveConfig``: new sources, changed
rules → re-tag), then updates the feeds that are due. Each feed's interval (``every``, default
30 min, plus a stable jitter) and its back-off live in the store's ``next_fetch_at``, so a
restart keeps the rhythm. Runs never overlap (``max_instances=1``, ``coalesce``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .liveconfig import LiveConfig
from .models import Config
from .pipeline import Updater

log = logging.getLogger(__name__)

TICK = timedelta(minutes=1)


class Scheduler:
    def __init__(self, updater: Updater, config: LiveConfig, tz: ZoneInfo) -> None:
        self.updater = updater
        self.config = config
        self.tz = tz
        self._applied: Config | None = None
        self._scheduler = AsyncIOScheduler(timezone=tz)

    async def run(self, stop: asyncio.Event, *, retry: float = 10.0) -> None:
        """Wait for the scheduler lock, schedule until ``stop`` is set, release the lock."""
        store = self.updater.store
        lock = await asyncio.to_thread(store.try_scheduler_lock)
        if lock is None:
            log.info("un autre planificateur est actif : attente")
        while lock is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=retry)
            if stop.is_set():
                return
            lock = await asyncio.to_thread(store.try_scheduler_lock)
        log.info("planificateur actif")
        try:
            self.start()
            await stop.wait()
        finally:
            self.shutdown()
            await asyncio.to_thread(lock.release)

    def start(self) -> None:
        self._scheduler.add_job(
            self.refresh,
            IntervalTrigger(seconds=TICK.total_seconds(), timezone=self.tz),
            id="refresh",
            next_run_time=datetime.now(self.tz),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(TICK.total_seconds()),
        )
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def refresh(self) -> None:
        """One tick: follow feeds.yaml, then update the due feeds."""
        config = self.config.get()
        if config is not self._applied:
            await self.updater.apply_config(config)
            self._applied = config
        results = await self.updater.update(due_only=True)
        if results:
            failed = sum(r.status == "error" for r in results)
            log.info("refresh done: %d feeds, %d failed", len(results), failed)
