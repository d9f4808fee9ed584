"""Wiring of the update machinery from settings: fetcher + parser pool + updater.

Used by the CLI (``update``, ``serve``, ``worker``) and the scheduler, so they all fetch and
parse under the same policy.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from veille.ingest.fetch import Fetcher
from veille.ingest.imap import ImapReader
from veille.ingest.pipeline import Updater
from veille.ingest.policy import FetchPolicy
from veille.ingest.workers import ParserPool
from veille.runtime import settle
from veille.settings import Settings
from veille.store import Store


def utcnow() -> datetime:
    """The real clock, injected into domain code from the edges."""
    return datetime.now(UTC)


def imap_reader(settings: Settings) -> ImapReader:
    """IMAP credentials and limits (``type: imap``); ``password_env`` reads the environment."""
    return ImapReader(
        settings.imap_password,
        user=settings.imap_user,
        environ=os.environ,
        timeout=settings.imap_timeout,
        max_bytes=settings.max_body_bytes,
        allowed_hosts=fetch_policy(settings).allowed_hosts,
    )


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        timeout=settings.fetch_timeout,
        max_bytes=settings.max_body_bytes,
        allowed_hosts=settings.allowed_hosts,
        per_host_concurrency=settings.per_host_concurrency,
        total_concurrency=settings.fetch_concurrency,
    )


@asynccontextmanager
async def open_updater(settings: Settings, store: Store) -> AsyncIterator[Updater]:
    """An ``Updater`` with its HTTP session and parser processes, closed on exit."""
    pool = ParserPool(max_workers=settings.parse_workers, timeout=settings.parse_timeout)
    try:
        async with Fetcher(fetch_policy(settings), now=utcnow) as fetcher:
            updater = Updater(
                store=store,
                fetcher=fetcher,
                parser=pool,
                now=utcnow,
                concurrency=settings.fetch_concurrency,
                imap=imap_reader(settings),
            )
            settle()
            try:
                yield updater
            finally:
                updater.close()
    finally:
        pool.close()
