"""The scheduler: one per deployment (``veille serve`` without ``--no-scheduler``, or
``veille worker``).

Every minute (``TICK``) it reloads feeds.yaml when the file changed (an invalid file is logged
and the last valid one kept), then updates the feeds that are due. Each feed's interval
(``every``, default 30 min, plus a stable jitter) and its back-off live in the store's
``next_fetch_at``, so a restart keeps the rhythm. Runs never overlap (``max_instances=1``,
``coalesce``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .config import load_config
from .errors import ConfigError
from .pipeline import Updater
from .store import Store

log = logging.getLogger(__name__)

TICK = timedelta(minutes=1)


class Scheduler:
    def __init__(self, store: Store, updater: Updater, config_path: Path, tz: ZoneInfo) -> None:
        self.store = store
        self.updater = updater
        self.config_path = config_path
        self.tz = tz
        self._config_mtime: float | None = None
        self._scheduler = AsyncIOScheduler(timezone=tz)

    def start(self) -> None:
        self._config_mtime = _mtime(self.config_path)
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
        """One tick: pick up feeds.yaml changes, then update the due feeds."""
        self.reload_config_if_changed()
        results = await self.updater.update(due_only=True)
        failed = sum(r.status == "error" for r in results)
        if results:
            log.info("refresh done: %d feeds, %d failed", len(results), failed)

    def reload_config_if_changed(self) -> None:
        mtime = _mtime(self.config_path)
        if mtime == self._config_mtime:
            return
        self._config_mtime = mtime
        try:
            config = load_config(self.config_path)
        except ConfigError as e:
            log.error("feeds.yaml invalide, configuration précédente conservée : %s", e)
            return
        self.store.sync_feeds(config.feeds)
        log.info("feeds.yaml reloaded: %d feeds", len(config.feeds))


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None
