"""The store: the only owner of SQL. Callers get frozen dataclasses; no Session leaves it.

Methods are grouped by noun: schema (``migrate``), feeds (``sync_feeds``, ``feed_states``,
``targets``, ``record_*``) and entries (``save_entries``, ``list_entries``).

Durability rules (DESIGN): a feed's entries are committed (in batches, each its own
transaction) *before* its validators (ETag/Last-Modified) are recorded, so a crash costs a
refetch, never an entry. A fetch never deletes entries.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from ..errors import QueryError, StoreError
from ..models import (
    EntryPage,
    EntryView,
    FeedSpec,
    FeedState,
    FeedTarget,
    ParsedEntry,
    Selection,
    Validators,
)
from .db import create_engine
from .tables import Entry, Feed

BATCH = 500  # entries per transaction when saving a feed

_feed = Feed.__table__  # type: ignore[attr-defined]
_entry = Entry.__table__  # type: ignore[attr-defined]


class Store:
    """Owns the engine. Build one per process with ``Store(url)``; call ``migrate()`` once."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)

    def close(self) -> None:
        self.engine.dispose()

    def _write(self) -> Any:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite)."""
        return self.engine.execution_options(sqlite_immediate=True).begin()

    # --- schema -------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision."""
        ini = resources.files("veille.store") / "alembic.ini"
        cfg = AlembicConfig(str(ini))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except sa.exc.SQLAlchemyError as e:
            raise StoreError(f"migration de la base impossible : {e}") from e

    def integrity_ok(self) -> bool:
        with self.engine.connect() as conn:
            if self.engine.dialect.name != "sqlite":
                return True
            return conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"

    # --- feeds --------------------------------------------------------------------------

    def sync_feeds(self, specs: Sequence[FeedSpec]) -> None:
        """Make the feed table follow feeds.yaml: add new feeds, update changed ones, and mark
        the removed ones ``in_config = false`` (their entries stay)."""
        with self._write() as conn:
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
        query = sa.select(_feed).where(_feed.c.in_config.is_(True)).order_by(_feed.c.id)
        if ids is not None:
            query = query.where(_feed.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            return [_feed_state(r) for r in conn.execute(query)]

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
        """A fetch (200 or 304) succeeded. Call it after the entries are saved."""
        values: dict[str, Any] = {
            "status": "ok",
            "last_error": None,
            "error_count": 0,
            "last_fetched_at": now,
            "last_success_at": now,
            "next_fetch_at": next_fetch_at,
            "etag": validators.etag,
            "last_modified": validators.last_modified,
        }
        if fetch_url:
            values["fetch_url"] = fetch_url
        if title:
            values["title"] = title
        if site_url:
            values["site_url"] = site_url
        with self._write() as conn:
            conn.execute(sa.update(_feed).where(_feed.c.id == feed_id).values(**values))

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

    # --- entries ------------------------------------------------------------------------

    def save_entries(
        self, feed_id: str, entries: Sequence[ParsedEntry], *, now: datetime
    ) -> tuple[int, int]:
        """Insert new entries and rewrite changed ones; returns ``(new, updated)``.

        Identity is ``(feed, key)``. A new key whose link and title match an entry already
        stored for the feed is the same entry (publishers that regenerate GUIDs on every fetch).
        Unchanged entries (same content hash) are not written. Each batch is its own
        transaction, so an interrupted save keeps what it committed and a rerun completes it.
        """
        new = updated = 0
        for start in range(0, len(entries), BATCH):
            n, u = self._save_batch(feed_id, entries[start : start + BATCH], now)
            new += n
            updated += u
        return new, updated

    def _save_batch(
        self, feed_id: str, batch: Sequence[ParsedEntry], now: datetime
    ) -> tuple[int, int]:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        with self._write() as conn:
            existing = {
                r.key: r
                for r in conn.execute(
                    sa.select(_entry.c.id, _entry.c.key, _entry.c.content_hash).where(
                        _entry.c.feed_id == feed_id,
                        _entry.c.key.in_([e.key for e in batch]),
                    )
                )
            }
            unknown_urls = [e.url for e in batch if e.key not in existing and e.url]
            by_link: dict[tuple[str | None, str], Any] = {}
            if unknown_urls:
                by_link = {
                    (r.url, r.title): r
                    for r in conn.execute(
                        sa.select(
                            _entry.c.id, _entry.c.url, _entry.c.title, _entry.c.content_hash
                        ).where(_entry.c.feed_id == feed_id, _entry.c.url.in_(unknown_urls))
                    )
                }
            for e in batch:
                digest = e.content_hash
                row = existing.get(e.key) or by_link.get((e.url, e.title))
                if row is None:
                    inserts.append(_entry_values(feed_id, e, digest, now) | {"first_seen_at": now})
                elif row.content_hash != digest:
                    values = _entry_values(feed_id, e, digest, now)
                    values.pop("key")  # keep the identity the entry was first stored under
                    values.pop("guid")
                    if e.published is None:
                        values.pop("published_at")  # keep the first-seen date
                    updates.append({"_id": row.id, **values})
            if inserts:
                conn.execute(sa.insert(_entry), inserts)
                conn.execute(
                    sa.update(_feed)
                    .where(_feed.c.id == feed_id)
                    .values(entry_count=_feed.c.entry_count + len(inserts))
                )
            for values in updates:
                entry_id = values.pop("_id")
                conn.execute(sa.update(_entry).where(_entry.c.id == entry_id).values(**values))
        return len(inserts), len(updates)

    def list_entries(self, selection: Selection) -> EntryPage:
        """Entries newest first (publication date, then id), one keyset page."""
        if not 1 <= selection.limit <= 500:
            raise QueryError("limit doit être compris entre 1 et 500")
        query = (
            sa.select(_entry, _feed.c.title.label("feed_own_title"), _feed.c.config_title)
            .join(_feed, _feed.c.id == _entry.c.feed_id)
            .order_by(_entry.c.published_at.desc(), _entry.c.id.desc())
            .limit(selection.limit + 1)
        )
        if selection.feeds:
            query = query.where(_entry.c.feed_id.in_(selection.feeds))
        if selection.since:
            query = query.where(_entry.c.published_at >= selection.since)
        if selection.until:
            query = query.where(_entry.c.published_at < selection.until)
        if selection.cursor:
            published, entry_id = decode_cursor(selection.cursor)
            query = query.where(
                sa.or_(
                    _entry.c.published_at < published,
                    sa.and_(_entry.c.published_at == published, _entry.c.id < entry_id),
                )
            )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        more = len(rows) > selection.limit
        rows = rows[: selection.limit]
        cursor = encode_cursor(rows[-1].published_at, rows[-1].id) if more and rows else None
        return EntryPage(tuple(_entry_view(r) for r in rows), cursor)

    def count_entries(self, feed_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(_entry)
        if feed_id:
            query = query.where(_entry.c.feed_id == feed_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


# --- mapping helpers ------------------------------------------------------------------------


def _entry_values(feed_id: str, e: ParsedEntry, digest: str, now: datetime) -> dict[str, Any]:
    return {
        "feed_id": feed_id,
        "key": e.key,
        "guid": e.guid,
        "url": e.url,
        "title": e.title,
        "author": e.author,
        "summary_html": e.summary_html,
        "content_html": e.content_html,
        "categories": json.dumps(list(e.categories), ensure_ascii=False),
        "content_hash": digest,
        "published_at": e.published or now,
        "date_missing": e.published is None,
        "updated_at": e.updated,
        "changed_at": now,
    }


def _feed_state(r: Any) -> FeedState:
    return FeedState(
        id=r.id,
        url=r.url,
        title=r.config_title or r.title or r.id,
        status=r.status,
        last_error=r.last_error,
        entries=r.entry_count,
        last_fetched_at=r.last_fetched_at,
        next_fetch_at=r.next_fetch_at,
        site_url=r.site_url,
        error_count=r.error_count,
        last_success_at=r.last_success_at,
    )


def _entry_view(r: Any) -> EntryView:
    return EntryView(
        id=str(r.id),
        feed=r.feed_id,
        feed_title=r.config_title or r.feed_own_title or r.feed_id,
        title=r.title,
        url=r.url,
        published=r.published_at,
        summary=r.summary_html,
        content_html=r.content_html,
        author=r.author,
        key=r.key,
    )


def encode_cursor(published: datetime, entry_id: int) -> str:
    raw = f"{published.astimezone(UTC).isoformat()}|{entry_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        published, entry_id = raw.split("|")
        when = datetime.fromisoformat(published)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, int(entry_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise QueryError("curseur invalide") from e
