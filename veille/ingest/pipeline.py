"""The update pipeline, written down once::

    store.targets(due) | retrieve.retrieve (fetch.Fetcher.fetch | prepare.parse_prepared in a
                       ParserPool worker: parse, tag, index text) | store.save_entries
                       | store.record_success / store.record_error

    type: html   retrieve.retrieve (fetch | prepare.parse_page_prepared: CSS selectors) | save
                 | record
    type: imap   imapsource session.open | store.known_messages | session.fetch
                 | ParserPool.read_message (each) | save | store.remember_messages
                 | session.move (move_to) | record

For each feed, independently (``update_feed``), dispatched on its type in feeds.yaml (the
specs given to ``apply_config``; a feed without one is ``type: feed``):

1. **fetch** its URL with its validators (conditional GET). A 304 records a success, nothing else.
2. **parse** the body in a worker process (per-feed time limit). An HTML page advertising a feed
   (``<link rel="alternate">``) is followed once, under the same fetch policy, and the
   discovered URL becomes the feed's fetch URL. A ``type: html`` page is read with its CSS
   selectors instead; one where they find nothing is an error (the site changed).
   A ``type: imap`` folder gives its messages not processed yet (UID + UIDVALIDITY
   remembered by the store), each read in a worker; an unreadable one is remembered with
   its error and reported in ``last_error`` (status error), without stopping the others.
3. **tag** each entry with the rules of feeds.yaml (``tag.RuleSet``, pure) and prepare its
   full-text index text, in the same worker as the parse (both cores; the database thread
   only writes), then **save** the new and changed ones with their tags (batched
   transactions), *then* record the success with the new validators, so a crash costs a
   refetch, never an entry.
4. Any failure is recorded on that feed only (``status: error`` with a French ``last_error``)
   and schedules the next attempt with exponential back-off (capped at 24 h), or after the
   server's ``Retry-After`` when longer; 410 disables the feed. A failing feed never stops the
   others.

After a run that brought new entries, the recent unclustered ones are grouped with the same
story from other sources (``store.cluster_pending`` + ``cluster.assign_clusters``, pure).

When feeds.yaml changes (``apply_config``), the feed table follows it and, if the rules or
the feeds' own tags changed, every stored entry is re-tagged (``store.retag``).

All store calls run on one dedicated thread: writes are serialised (one SQLite writer) and the
event loop stays free for the network.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from itertools import repeat
from typing import Any, TypeVar

import sqlalchemy as sa

from veille.errors import FeedError, FetchError, GoneError, HTTPStatusError, ParseError, StoreError
from veille.ingest.imap import ImapReader, MailMessage, message_source
from veille.ingest.retrieve import FetcherLike, ParserLike, retrieve
from veille.ingest.workers import TAG_MANY
from veille.metrics import ENTRIES_STORED, FEED_UPDATE_SECONDS, FETCHES, PARSE_SECONDS
from veille.models import (
    Config,
    FeedSpec,
    FeedTarget,
    MailboxSpec,
    ParsedEntry,
    ProcessedMessage,
    UpdateResult,
    Validators,
)
from veille.rules.clustering import ClusterItem, assign_clusters
from veille.rules.ruleset import RuleSet, RulesSpec
from veille.store import FetchSuccess, Store
from veille.store.base import explain
from veille.text import plural

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=24)
MAX_MESSAGES = 100  # per update of an IMAP folder: a first run on a full inbox goes in steps
CLUSTER_HORIZON = timedelta(days=14)  # older entries are left alone (digests look at days)
RETAG_WORKERS = 2  # processes tagging stored entries when the rules change
JITTER = 0.1  # up to 10 % of the interval, stable per feed

T = TypeVar("T")


# --- pure scheduling rules ----------------------------------------------------------------------


def jitter(feed_id: str, every: timedelta) -> timedelta:
    """A stable per-feed offset in ``[0, JITTER × every)`` so feeds do not all fire together."""
    fraction = int.from_bytes(hashlib.blake2b(feed_id.encode(), digest_size=4).digest()) / 2**32
    return every * (JITTER * fraction)


def next_success_fetch(now: datetime, target: FeedTarget) -> datetime:
    return now + target.every + jitter(target.id, target.every)


def next_error_fetch(
    now: datetime, target: FeedTarget, retry_after: timedelta | None = None
) -> datetime:
    """Exponential back-off from the feed's interval (×2 per consecutive error, ≤ 24 h);
    a longer ``Retry-After`` from the server wins (itself capped at 24 h)."""
    backoff = min(target.every * 2 ** min(target.error_count, 16), MAX_BACKOFF)
    if retry_after is not None:
        backoff = max(backoff, min(retry_after, MAX_BACKOFF))
    return now + backoff


def retag_if_needed(store: Store, rules: RuleSet) -> int | None:
    """Re-tag the stored entries if ``rules`` differ from those they were tagged with."""
    if store.rules_fingerprint() == rules.fingerprint:
        return None
    return retag_all(store, rules)[1]


def retag_all(store: Store, rules: RuleSet, workers: int = RETAG_WORKERS) -> tuple[int, int]:
    """Re-tag every stored entry, the tagging spread over ``workers`` processes (pure work;
    the store keeps writing from this thread). Returns ``(seen, changed)``."""
    started = time.monotonic()
    spec = rules.spec
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:

        def tag_batch(rows: list[Any]) -> list[Any]:
            size = -(-len(rows) // workers)
            parts = [rows[i : i + size] for i in range(0, len(rows), size)]
            return [tags for part in pool.map(TAG_MANY, repeat(spec), parts) for tags in part]

        seen, changed = store.retag(rules.tag_fields, rules.fingerprint, tag_many=tag_batch)
    log.info(
        "retagged %d entries (%d changed) in %.1f s", seen, changed, time.monotonic() - started
    )
    return seen, changed


@dataclass(frozen=True, slots=True)
class TimedParser:
    """A parser whose calls are timed (``veille_parse_seconds``), as the pipeline sees them."""

    parser: ParserLike

    async def call(self, function: Callable[..., T], url: str, *args: Any) -> T:
        with PARSE_SECONDS.time():
            return await self.parser.call(function, url, *args)

    async def read_message(
        self, source: str, raw: bytes, received: datetime | None, now: datetime
    ) -> ParsedEntry:
        with PARSE_SECONDS.time():
            return await self.parser.read_message(source, raw, received, now)


# --- the pipeline ------------------------------------------------------------------------------


@dataclass
class Updater:
    """Runs the pipeline for a set of feeds. ``now`` is the injected clock."""

    store: Store
    fetcher: FetcherLike
    parser: ParserLike
    now: Callable[[], datetime]
    concurrency: int = 32  # feeds in flight (bounds the bodies held in memory)
    rules: RuleSet | None = None  # None: entries are stored untagged
    imap: ImapReader | None = None  # None: ``type: imap`` sources fail, said so

    def __post_init__(self) -> None:
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="veille-db")
        self._parser = TimedParser(self.parser)
        self._specs: dict[str, FeedSpec] = {}

    def close(self) -> None:
        self._db.shutdown(wait=True)

    async def _store(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, partial(fn, *args, **kwargs))

    async def apply_config(self, config: Config) -> int | None:
        """Follow feeds.yaml: sync the feed table and the rules; re-tag every entry when the
        rules changed since the store was last tagged. Returns the number of entries whose
        tags changed, or None when no retag was needed."""
        self.rules = RuleSet.from_config(config)
        self._specs = {spec.id: spec for spec in config.feeds}
        await self._store(self.store.sync_feeds, config.feeds)
        return await self._store(retag_if_needed, self.store, self.rules)

    async def update(
        self,
        ids: Sequence[str] | None = None,
        *,
        due_only: bool = False,
        on_result: Callable[[UpdateResult], None] | None = None,
    ) -> list[UpdateResult]:
        """Update the given feeds (all configured ones when ``ids`` is None); with ``due_only``,
        only those whose next fetch time has come."""
        targets = await self._store(
            self.store.targets, ids, due_at=self.now() if due_only else None
        )
        # ``concurrency`` runners share one iterator: at most that many feeds (and their
        # bodies, parsed entries) in memory, and no task per feed created up front.
        pending = iter(enumerate(targets))
        done: dict[int, UpdateResult] = {}

        async def runner() -> None:
            for i, target in pending:
                done[i] = result = await self.update_feed(target)
                if on_result:
                    on_result(result)

        await asyncio.gather(*(runner() for _ in range(min(self.concurrency, len(targets)))))
        results = [done[i] for i in range(len(targets))]
        if any(r.new for r in results):
            await self.cluster()
        return results

    async def cluster(self) -> int:
        """Group the recent new entries with the same story from other sources."""
        since = self.now() - CLUSTER_HORIZON
        return await self._store(
            self.store.cluster_pending, assign_clusters, ClusterItem, since=since
        )

    async def update_feed(self, target: FeedTarget) -> UpdateResult:
        started = time.monotonic()
        try:
            result = await self._fetch_parse_save(target)
        except FeedError as e:
            result = await self._record_failure(target, e)
        except sa.exc.OperationalError as e:
            # The database itself (full disk, read-only, unreachable), not this feed: nothing
            # can be saved for any feed, so the update stops with the cause in French.
            raise StoreError(f"écriture impossible : {explain(e, self.store.url)}") from e
        except Exception as e:  # a bug must not stop the other feeds: record it and go on
            log.exception("unexpected error", extra={"feed": target.id})
            result = await self._record_failure(
                target, FeedError(target.url, f"erreur interne : {e!r}")
            )
        result = UpdateResult(
            feed_id=result.feed_id,
            status=result.status,
            new=result.new,
            updated=result.updated,
            error=result.error,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        FETCHES.labels(outcome=result.status).inc()
        FEED_UPDATE_SECONDS.observe(result.duration_ms / 1000)
        ENTRIES_STORED.labels(kind="new").inc(result.new)
        ENTRIES_STORED.labels(kind="updated").inc(result.updated)
        log.info(
            "feed updated",
            extra={
                "feed": target.id,
                "status": result.status,
                "duration_ms": result.duration_ms,
                "new": result.new,
                "updated": result.updated,
            },
        )
        return result

    async def _fetch_parse_save(self, target: FeedTarget) -> UpdateResult:
        spec = self._specs.get(target.id)
        if spec is not None and spec.mailbox is not None:
            return await self._update_mailbox(target, spec.mailbox)
        got = await retrieve(
            self.fetcher,
            self._parser,
            target.id,
            target.url,
            target.validators,
            now=self.now,
            page=spec.page if spec is not None else None,
            rules=self._rules_spec(),
        )
        now = self.now()
        if got.parsed is None:
            await self._store(
                self.store.record_success,
                target.id,
                now=now,
                next_fetch_at=next_success_fetch(now, target),
                validators=got.fetched.validators,
                fetch_url=got.fetch_url,
            )
            return UpdateResult(target.id, "not_modified")
        success = FetchSuccess(
            now=now,
            next_fetch_at=next_success_fetch(now, target),
            validators=got.fetched.validators,
            fetch_url=got.fetch_url,
            title=got.parsed.title,
            site_url=got.parsed.site_url,
        )
        new, updated = await self._store(
            self.store.save_entries,
            target.id,
            got.parsed.entries,
            now=now,
            extras=got.extras,
            success=success,
        )
        return UpdateResult(target.id, "ok", new=new, updated=updated)

    def _rules_spec(self) -> RulesSpec | None:
        return self.rules.spec if self.rules else None

    async def _update_mailbox(self, target: FeedTarget, spec: MailboxSpec) -> UpdateResult:
        """A ``type: imap`` source: the folder's messages not processed yet become entries."""
        if self.imap is None:
            raise FetchError(target.url, "lecture IMAP non configurée dans ce processus")
        session = self.imap.session(target.url, spec)
        try:
            uidvalidity, present = await asyncio.to_thread(session.open)
            known = await self._store(self.store.known_messages, target.id, target.url, uidvalidity)
            fresh = [uid for uid in present if uid not in known][:MAX_MESSAGES]
            messages = await asyncio.to_thread(session.fetch, fresh)
            read = await asyncio.gather(*(self._read_message(target, m) for m in messages))
            entries: dict[str, ParsedEntry] = {}  # one entry per Message-ID (copies happen)
            for entry, _ in read:
                if entry is not None:
                    entries.setdefault(entry.key, entry)
            now = self.now()
            tagger = partial(self.rules.tag_entry, target.id) if self.rules else None
            new, updated = await self._store(
                self.store.save_entries, target.id, list(entries.values()), now=now, tagger=tagger
            )
            await self._store(
                self.store.remember_messages,
                target.id,
                target.url,
                uidvalidity,
                [outcome for _, outcome in read],
                now=now,
                forget=set(known) - set(present),
            )
            if spec.move_to:
                done = {uid for uid, ok in known.items() if ok}
                done |= {o.uid for _, o in read if o.error is None}
                await asyncio.to_thread(session.move, [u for u in present if u in done])
        finally:
            await asyncio.to_thread(session.close)
        failures = [o.error for _, o in read if o.error]
        if failures:  # the others are saved; the referent must still hear of this one
            unread = plural(len(failures), "message illisible", "messages illisibles")
            message = f"{unread} : {failures[0]}"
            await self._store(
                self.store.record_error,
                target.id,
                now=now,
                message=message,
                next_fetch_at=next_success_fetch(now, target),  # the mailbox itself works
            )
            return UpdateResult(target.id, "error", new=new, updated=updated, error=message)
        await self._store(
            self.store.record_success,
            target.id,
            now=now,
            next_fetch_at=next_success_fetch(now, target),
            validators=Validators(),
            title=f"Lettres d'information — {spec.folder}",
        )
        return UpdateResult(target.id, "ok", new=new, updated=updated)

    async def _read_message(
        self, target: FeedTarget, message: MailMessage
    ) -> tuple[ParsedEntry | None, ProcessedMessage]:
        source = message_source(target.url, message.uid)
        if message.raw is None:
            error = f"{source} : message trop gros ({message.size} octets)"
            return None, ProcessedMessage(message.uid, None, error)
        try:
            entry = await self._parser.read_message(
                source, message.raw, message.received, self.now()
            )
        except ParseError as e:
            return None, ProcessedMessage(message.uid, None, f"{source} : {e}")
        return entry, ProcessedMessage(message.uid, entry.key)

    async def _record_failure(self, target: FeedTarget, error: FeedError) -> UpdateResult:
        now = self.now()
        gone = isinstance(error, GoneError)
        retry_after = error.retry_after if isinstance(error, HTTPStatusError) else None
        await self._store(
            self.store.record_error,
            target.id,
            now=now,
            message=str(error),
            next_fetch_at=None if gone else next_error_fetch(now, target, retry_after),
            disable=gone,
        )
        return UpdateResult(target.id, "disabled" if gone else "error", error=str(error))
