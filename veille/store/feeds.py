"""Feeds: follow feeds.yaml, hand out fetch targets, record fetch outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from veille.models import FeedSpec, FeedState, FeedTarget, Validators
from veille.store.base import SYNC_LOCK, StoreBase, feed_display_title
from veille.store.tables import feed_t as _feed


@dataclass(frozen=True, slots=True)
class FetchSuccess:
    """What a successful fetch changes in its feed's row: state, schedule, validators."""

    now: datetime
    next_fetch_at: datetime
    validators: Validators
    fetch_url: str | None = None
    title: str | None = None
    site_url: str | None = None

    def write(self, conn: sa.Connection, feed_id: str) -> None:
        values: dict[str, Any] = {
            "status": "ok",
            "last_error": None,
            "error_count": 0,
            "last_fetched_at": self.now,
            "last_success_at": self.now,
            "next_fetch_at": self.next_fetch_at,
            "etag": self.validators.etag,
            "last_modified": self.validators.last_modified,
        }
        if self.fetch_url:
            values["fetch_url"] = self.fetch_url
        if self.title:
            values["title"] = self.title
        if self.site_url:
            values["site_url"] = self.site_url
        conn.execute(sa.update(_feed).where(_feed.c.id == feed_id).values(**values))


# A feed as ``FeedState`` shows it, its fields named in SQL (the shown title: feeds.yaml's,
# else the feed's own, else its id).
_STATE = (
    _feed.c.id,
    _feed.c.url,
    feed_display_title().label("title"),
    _feed.c.status,
    _feed.c.last_error,
    _feed.c.entry_count.label("entries"),
    _feed.c.last_fetched_at,
    _feed.c.next_fetch_at,
    _feed.c.site_url,
    _feed.c.error_count,
    _feed.c.last_success_at,
)


class FeedsMixin(StoreBase):
    def sync_feeds(self, specs: Sequence[FeedSpec]) -> None:
        """Make the feed table follow feeds.yaml: add new feeds, update changed ones, and mark
        the removed ones ``in_config = false`` (their entries stay)."""
        with self._write() as conn:
            if conn.dialect.name == "postgresql":
                # Replicas starting together each sync feeds.yaml: one at a time, or both
                # insert the same new feed (SQLite's BEGIN IMMEDIATE already serialises).
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SYNC_LOCK})")
            rows = {r.id: r for r in conn.execute(sa.select(_feed))}
            for spec in specs:
                values: dict[str, Any] = {
                    "config_title": spec.title,
                    "every_s": int(spec.every.total_seconds()),
                    "in_config": True,
                }
                row = rows.get(spec.id)
                if row is None:
                    conn.execute(
                        sa.insert(_feed).values(
                            id=spec.id, url=spec.url, fetch_url=spec.url, **values
                        )
                    )
                    continue
                if row.url != spec.url:  # the referent changed the URL: start afresh
                    values |= {
                        "url": spec.url,
                        "fetch_url": spec.url,
                        "etag": None,
                        "last_modified": None,
                        "status": "pending",
                        "error_count": 0,
                        "last_error": None,
                        "next_fetch_at": None,
                    }
                conn.execute(sa.update(_feed).where(_feed.c.id == spec.id).values(**values))
            gone = set(rows) - {s.id for s in specs}
            if gone:
                conn.execute(sa.update(_feed).where(_feed.c.id.in_(gone)).values(in_config=False))

    def feed_states(self, ids: Iterable[str] | None = None) -> list[FeedState]:
        """Configured feeds (in feeds.yaml order is the caller's business: sorted by id here)."""
        query = sa.select(*_STATE).where(_feed.c.in_config.is_(True)).order_by(_feed.c.id)
        if ids is not None:
            query = query.where(_feed.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            return [FeedState(**{**r._mapping, "url": _public(r.url)}) for r in conn.execute(query)]

    def feed_titles(self) -> dict[str, str]:
        """``{id: display title}`` of the configured feeds (a light query for menus)."""
        title = feed_display_title()
        query = sa.select(_feed.c.id, title).where(_feed.c.in_config.is_(True))
        with self.engine.connect() as conn:
            return {feed_id: text for feed_id, text in conn.execute(query)}

    def last_success_at(self) -> datetime | None:
        """When any feed was last fetched successfully (None: never)."""
        with self.engine.connect() as conn:
            newest = sa.select(sa.func.max(_feed.c.last_success_at))
            return conn.execute(newest.where(_feed.c.in_config.is_(True))).scalar()

    def targets(
        self, ids: Iterable[str] | None = None, *, due_at: datetime | None = None
    ) -> list[FeedTarget]:
        """Feeds to fetch: the given ids, or every configured feed that is not disabled (410)
        when ``ids`` is None; restricted to those due at ``due_at`` when given."""
        query = sa.select(_feed).where(_feed.c.in_config.is_(True)).order_by(_feed.c.id)
        if ids is not None:
            query = query.where(_feed.c.id.in_(list(ids)))
        else:
            query = query.where(_feed.c.status != "disabled")
        if due_at is not None:
            query = query.where(
                _feed.c.status != "disabled",
                sa.or_(_feed.c.next_fetch_at.is_(None), _feed.c.next_fetch_at <= due_at),
            )
        with self.engine.connect() as conn:
            return [
                FeedTarget(
                    id=r.id,
                    url=r.fetch_url,
                    validators=Validators(r.etag, r.last_modified),
                    every=timedelta(seconds=r.every_s),
                    error_count=r.error_count,
                    status=r.status,
                )
                for r in conn.execute(query)
            ]

    def record_success(
        self,
        feed_id: str,
        *,
        now: datetime,
        next_fetch_at: datetime,
        validators: Validators,
        fetch_url: str | None = None,
        title: str | None = None,
        site_url: str | None = None,
    ) -> None:
        """A fetch (200 or 304) succeeded. Call it after the entries are saved (or give the
        same facts to ``save_entries(success=…)``, which writes them with the last entries)."""
        success = FetchSuccess(now, next_fetch_at, validators, fetch_url, title, site_url)
        with self._write() as conn:
            success.write(conn, feed_id)

    def record_error(
        self,
        feed_id: str,
        *,
        now: datetime,
        message: str,
        next_fetch_at: datetime | None,
        disable: bool = False,
    ) -> None:
        """A fetch or parse failed; ``disable`` for 410 Gone (never fetched again on schedule)."""
        with self._write() as conn:
            conn.execute(
                sa.update(_feed)
                .where(_feed.c.id == feed_id)
                .values(
                    status="disabled" if disable else "error",
                    last_error=message,
                    error_count=_feed.c.error_count + 1,
                    last_fetched_at=now,
                    next_fetch_at=next_fetch_at,
                )
            )


def _public(url: str) -> str:
    """The URL without its user part (``imaps://user@host/…``): states are shown publicly."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
