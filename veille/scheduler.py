"""The scheduler: one per deployment (``veille serve`` without ``--no-scheduler``, or
``veille worker``).

Exactly one scheduler is active per deployment: ``run`` first takes the store's scheduler lock
(a PostgreSQL advisory lock, or a file lock beside the SQLite database); a second worker waits
and tries again every ``retry`` seconds, so it takes over shortly after the first one dies.
The lock can also be lost while its holder lives (PostgreSQL restarted, its session
terminated): the holder checks it before each job and every ``retry`` seconds, stops
scheduling as soon as it is gone and waits to take it again like any other worker. A lock
that can be lost so is fenced: its new holder waits ``2 × retry`` before scheduling, time for
the old holder to notice and cut its running jobs, so two schedulers never run jobs at once.

Every minute (``TICK``) it records its heartbeat in the store (``heartbeat``: read by
``/healthz`` and ``/metrics`` of every replica), picks up feeds.yaml changes (``LiveConfig``:
new sources, changed rules → re-tag, mail schedules), updates the feeds that are due and retries
the e-mail deliveries whose back-off has passed, then announces in Matrix rooms and webhooks
what is due (``notify.notify_due``: a letter that went out, a day's slot) and retries those
whose back-off has passed. Each digest with ``mail: {at: "mon 07:30"}``
gets a cron job (Europe/Paris) that sends its issue (``mail.send_due``: once per period, never
twice), the one whose period ends at that slot — still when the job runs late, up to
``SEND_GRACE``. Each feed's interval (``every``, default 30 min, plus a stable jitter) and its
back-off live in the store's ``next_fetch_at``, so a restart keeps the rhythm. Runs never
overlap (``max_instances=1``, ``coalesce``). A job cut because the scheduler stops (the lock
lost, the service stopping) is one warning line: its work is safe to cut (entries are committed
before a feed's validators, e-mails go through the outbox) and runs again on the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from veille.config.live import LiveConfig
from veille.errors import MailError
from veille.ingest.heartbeat import record_tick
from veille.ingest.pipeline import Updater
from veille.mailing.delivery import retry_due, send_due
from veille.mailing.issues import SEND_GRACE, mail_jobs
from veille.metrics import SCHEDULER_ACTIVE
from veille.models import Config
from veille.notify import notify_due
from veille.settings import Settings
from veille.store.lock import Lock

log = logging.getLogger(__name__)

TICK = timedelta(minutes=1)


@contextlib.contextmanager
def _cut_quietly(job: str) -> Iterator[None]:
    """A job cancelled by the scheduler's shutdown: a warning instead of APScheduler's job
    error with a ``CancelledError`` traceback (see the module docstring)."""
    try:
        yield
    except asyncio.CancelledError:
        log.warning("tâche interrompue : %s (le planificateur s'arrête)", job)


class Scheduler:
    def __init__(
        self, updater: Updater, config: LiveConfig, tz: ZoneInfo, settings: Settings
    ) -> None:
        self.updater = updater
        self.config = config
        self.tz = tz
        self.settings = settings
        self._applied: Config | None = None
        self._scheduler = AsyncIOScheduler(timezone=tz)
        self._lock: Lock | None = None

    async def run(self, stop: asyncio.Event, *, retry: float = 10.0) -> None:
        """Wait for the scheduler lock, schedule while it is held, until ``stop`` is set."""
        store = self.updater.store
        while not stop.is_set():
            lock = await asyncio.to_thread(store.try_scheduler_lock)
            if lock is None:
                log.info("un autre planificateur est actif : attente")
            while lock is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=retry)
                if stop.is_set():
                    return
                lock = await asyncio.to_thread(store.try_scheduler_lock)
            self._lock = lock
            if lock.can_be_lost:
                # Fence: a previous holder that lost this lock (its session ended under it)
                # notices within ``retry`` seconds and stops, cutting its running jobs; wait
                # twice that before scheduling, so two schedulers never run jobs at once.
                log.info("verrou pris : attente de %s s avant de planifier", f"{2 * retry:g}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=2 * retry)
                if stop.is_set() or not await self._holding():
                    self._lock = None
                    await asyncio.to_thread(lock.release)
                    continue
            log.info("planificateur actif")
            SCHEDULER_ACTIVE.set(1)
            try:
                self.start()
                while not stop.is_set() and await self._holding():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=retry)
            finally:
                SCHEDULER_ACTIVE.set(0)
                self.shutdown()
                self._lock = None
                await asyncio.to_thread(lock.release)
            # Lost: let a waiting worker take over rather than racing it for the lock.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=2 * retry)

    async def _holding(self) -> bool:
        """Whether this scheduler still holds the lock; logged once when it is lost (``run``
        then stops scheduling within ``retry`` seconds; jobs skip their work meanwhile)."""
        lock = self._lock
        if lock is None:
            return False
        if not await asyncio.to_thread(lock.held):
            if self._lock is lock:
                self._lock = None
                log.error("verrou du planificateur perdu : arrêt de la planification")
            return False
        return True

    def start(self) -> None:
        # A fresh scheduler each time the lock is taken: jobs and mail schedules start anew.
        self._scheduler = AsyncIOScheduler(timezone=self.tz)
        self._applied = None
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
        """One tick: follow feeds.yaml, update the due feeds, retry due e-mail deliveries."""
        with _cut_quietly("refresh"):
            await self._refresh()

    async def _refresh(self) -> None:
        if not await self._holding():
            return
        await asyncio.to_thread(record_tick, self.updater.store, self.updater.now())
        config = self.config.get()
        if config is not self._applied:
            await self.updater.apply_config(config)
            self._schedule_mail(config)
            self._applied = config
        results = await self.updater.update(due_only=True)
        if results:
            failed = sum(r.status == "error" for r in results)
            log.info("refresh done: %d feeds, %d failed", len(results), failed)
        try:
            await retry_due(self.updater.store, self.settings, self.updater.now)
        except MailError as e:
            log.error("relance des envois impossible : %s", e)
        await self.notify(config)

    async def notify(self, config: Config) -> None:
        """Announce what is due (a letter that went out, a day's slot) and retry the
        notifications whose back-off has passed (``notify.notify_due``)."""
        report = await notify_due(self.updater.store, self.settings, config, self.updater.now)
        if report.queued or report.sent or not report.ok:
            log.info("notifications: %s", report)

    def _schedule_mail(self, config: Config) -> None:
        """One cron job per mailed digest; jobs of digests no longer mailed are removed. A slot
        missed less than ``SEND_GRACE`` ago (the scheduler was stopped or restarting at that
        time) runs at once: its issue is still the one to send (``send_due`` decides)."""
        wanted = set()
        now = self.updater.now()
        for name, day, at in mail_jobs(config):
            job_id = f"mail:{name}"
            wanted.add(job_id)
            trigger = CronTrigger(
                day_of_week="*" if day is None else day,
                hour=at.hour,
                minute=at.minute,
                timezone=self.tz,
            )
            missed = trigger.get_next_fire_time(None, now - SEND_GRACE)
            catch_up = {"next_run_time": now} if missed is not None and missed <= now else {}
            self._scheduler.add_job(
                self.send_mail,
                trigger,
                args=[name],
                id=job_id,
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=int(SEND_GRACE.total_seconds()),
                **catch_up,
            )
        for job in self._scheduler.get_jobs():
            if job.id.startswith("mail:") and job.id not in wanted:
                job.remove()

    async def send_mail(self, name: str) -> None:
        """A digest's ``mail.at`` slot: send its issue (a failure is logged, retried later)."""
        with _cut_quietly(f"envoi de « {name} »"):
            await self._send_mail(name)

    async def _send_mail(self, name: str) -> None:
        if not await self._holding():
            return
        try:
            report = await send_due(
                self.updater.store, self.settings, self.config.get(), name, self.updater.now
            )
            log.info("mail %s: %s", name, report or "nothing due")
        except MailError as e:
            log.error("envoi de « %s » impossible : %s", name, e)
            return
        await self.notify(self.config.get())  # the letter's announcements, now
