"""Entries: saved with identity and dedup rules, listed through one ``Selection``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from veille.errors import QueryError
from veille.limits import MAX_ENTRIES
from veille.models import EntryPage, EntryRef, EntryView, ParsedEntry, Reader, Selection
from veille.rules.search import index_text
from veille.store.base import StoreBase
from veille.store.clusters import also_in
from veille.store.feeds import FetchSuccess
from veille.store.fulltext import (
    FTS_DELETE,
    FTS_INSERT,
    is_dense,
    pg_search_rows,
    recent_first,
    sqlite_recent_matches,
)
from veille.store.selecting import (
    encode_cursor,
    entries_query,
    newest_of_its_story,
    selection_conditions,
)
from veille.store.tables import entry_t, feed_t, tag_t
from veille.store.tags import Reason, corrected, read_verdicts, tag_rows

BATCH = 500  # entries per transaction when saving a feed

# Tags of one parsed entry of a given feed: {tag: reason}.
EntryTagger = Callable[[ParsedEntry], Mapping[str, Reason]]


class Indexed(Protocol):
    """The full-text index text of an entry (``search.IndexedText`` fits)."""

    @property
    def title(self) -> str: ...

    @property
    def body(self) -> str: ...


class Extras(Protocol):
    """Tags and index text computed beforehand (``prepare.EntryExtras`` fits)."""

    @property
    def tags(self) -> Mapping[str, Reason]: ...

    @property
    def index(self) -> Indexed: ...


class EntriesMixin(StoreBase):
    def save_entries(
        self,
        feed_id: str,
        entries: Sequence[ParsedEntry],
        *,
        now: datetime,
        tagger: EntryTagger | None = None,
        extras: Mapping[str, Extras] | None = None,
        success: FetchSuccess | None = None,
    ) -> tuple[int, int]:
        """Insert new entries and rewrite changed ones (with their tags); returns
        ``(new, updated)``. ``extras`` (by entry key) carries tags and index text already
        computed in the parser processes; without them, ``tagger`` and ``search.index_text``
        run here.

        Identity is ``(feed, key)``. A new key whose link and title match an entry already
        stored for the feed is the same entry (publishers that regenerate GUIDs on every fetch).
        Unchanged entries (same content hash) are not written. Each batch is its own
        transaction, so an interrupted save keeps what it committed and a rerun completes it.
        ``success`` (the fetch's outcome: validators, schedule) is written in the transaction
        of the last batch: one commit for a whole ordinary feed, and validators never without
        the entries they describe.
        """
        if extras:
            fallback = tagger

            def tagger(e: ParsedEntry) -> Mapping[str, Reason]:
                found = extras.get(e.key)
                if found is not None:
                    return found.tags
                return fallback(e) if fallback else {}

        new = updated = 0
        if not entries and success is not None:
            with self._write() as conn:
                success.write(conn, feed_id)
        for start in range(0, len(entries), BATCH):
            batch = entries[start : start + BATCH]
            last = start + BATCH >= len(entries)
            n, u = self._save_batch(
                feed_id, batch, now, tagger, extras or {}, success if last else None
            )
            new += n
            updated += u
        return new, updated

    def _save_batch(
        self,
        feed_id: str,
        batch: Sequence[ParsedEntry],
        now: datetime,
        tagger: EntryTagger | None,
        extras: Mapping[str, Extras],
        success: FetchSuccess | None,
    ) -> tuple[int, int]:
        """One transaction: match the batch with what is stored, insert the new entries,
        rewrite the changed ones, then (last batch) the fetch outcome."""
        with self._write() as conn:
            inserts, updates = _match_existing(conn, feed_id, batch)
            tags = _insert_new(conn, feed_id, inserts, now, tagger, extras)
            tags += _rewrite_changed(conn, feed_id, updates, now, tagger, extras)
            if tags:
                conn.execute(sa.insert(tag_t), tags)
            if success is not None:
                success.write(conn, feed_id)
        return len(inserts), len(updates)

    def list_entries(self, selection: Selection) -> EntryPage:
        """Entries newest first (publication date, then id; oldest first when the selection
        says so), one keyset page. With a ``reader``, each entry carries its read and
        starred state (a LEFT JOIN on the reader's state rows: still one query)."""
        with self._read() as conn:
            rows, cursor = self._page(conn, selection, entries_query(selection.reader))
            tags = _tags_of(conn, [r.id for r in rows])
            also = also_in(conn, [(r.id, r.cluster_id, r.feed_id) for r in rows])
        views = (_entry_view(r, tags.get(r.id, ()), also.get(r.id, ())) for r in rows)
        return EntryPage(tuple(views), cursor)

    def list_entry_refs(self, selection: Selection) -> tuple[list[EntryRef], str | None]:
        """The page ``list_entries`` would give (same order, same cursor), as ids and dates
        only: no entry text, feed, state, tags nor other sources are read (``stream/items/
        ids`` asks for hundreds at a time)."""
        columns = (entry_t.c.id, entry_t.c.published_at, entry_t.c.first_seen_at)
        with self._read() as conn:
            rows, cursor = self._page(conn, selection, sa.select(*columns))
        return [EntryRef(str(r.id), r.published_at, r.first_seen_at) for r in rows], cursor

    def _page(
        self, conn: sa.Connection, selection: Selection, columns: Any
    ) -> tuple[list[Any], str | None]:
        """One keyset page of ``selection``: the rows of the query ``columns`` (which has
        ``id`` and ``published_at``), and the cursor of the next page."""
        if not 1 <= selection.limit <= MAX_ENTRIES:
            raise QueryError(f"limit doit être compris entre 1 et {MAX_ENTRIES}")
        query = columns.limit(selection.limit + 1)
        if selection.oldest_first:
            query = query.order_by(entry_t.c.published_at.asc(), entry_t.c.id.asc())
        else:
            query = query.order_by(entry_t.c.published_at.desc(), entry_t.c.id.desc())
        dialect = self.engine.dialect.name
        recent = recent_first(selection, dialect)
        dense = (
            bool(selection.query)
            and dialect == "sqlite"
            and not recent
            and is_dense(conn, selection.query)
        )

        def planned(*, materialized: bool = False) -> Any:
            conditions = selection_conditions(
                selection, entry_t, dialect, dense=dense, materialized=materialized, page=True
            )
            if selection.collapse:
                conditions.append(newest_of_its_story(selection, dialect))
            return query.where(*conditions)

        rows: list[Any] | None = None
        if recent:
            unsearched = selection_conditions(replace(selection, query=""), entry_t, dialect)
            rows = sqlite_recent_matches(conn, query.where(*unsearched), selection)
            if rows is None:  # ids do not follow dates here: the plain plans
                dense = is_dense(conn, selection.query)
        if (
            rows is None
            and selection.query
            and dialect == "postgresql"
            and not selection.cursor
            and not selection.oldest_first
        ):
            rows = pg_search_rows(conn, planned, selection.limit)
        elif rows is None:
            rows = list(conn.execute(planned()).all())
        more = len(rows) > selection.limit
        rows = rows[: selection.limit]
        cursor = encode_cursor(rows[-1].published_at, rows[-1].id) if more and rows else None
        return rows, cursor

    def get_entry(self, entry_id: int) -> EntryView | None:
        found = self.get_entries([entry_id])
        return found[0] if found else None

    def get_entries(
        self, entry_ids: Sequence[int], *, reader: Reader | None = None
    ) -> list[EntryView]:
        """These entries (unknown ids left out), in the order asked: one query each for the
        entries, their tags and their other sources, whatever their number; with their
        state for ``reader`` when given."""
        query = entries_query(reader).where(entry_t.c.id.in_(entry_ids))
        with self._read() as conn:
            rows = {r.id: r for r in conn.execute(query)} if entry_ids else {}
            tags = _tags_of(conn, list(rows))
            also = also_in(conn, [(r.id, r.cluster_id, r.feed_id) for r in rows.values()])
        return [
            _entry_view(rows[i], tags.get(i, ()), also.get(i, ())) for i in entry_ids if i in rows
        ]

    def count_entries(self, feed_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(entry_t)
        if feed_id:
            query = query.where(entry_t.c.feed_id == feed_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def count_selected(self, selection: Selection) -> int:
        """How many entries ``selection`` matches, ignoring its limit: what every page of
        ``list_entries`` would return together (after its cursor, when it has one)."""
        dialect = self.engine.dialect.name
        conditions = selection_conditions(selection, entry_t, dialect)
        if selection.collapse:
            conditions.append(newest_of_its_story(selection, dialect))
        query = sa.select(sa.func.count()).select_from(entry_t).where(*conditions)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())


# --- saving a batch: the identity rules ---------------------------------------------------------


def _match_existing(
    conn: sa.Connection, feed_id: str, batch: Sequence[ParsedEntry]
) -> tuple[list[ParsedEntry], list[tuple[int, ParsedEntry]]]:
    """``(new entries, (id, entry) of changed ones)``. An entry is known by its key; a new key
    whose link and title match a stored entry of the feed is that entry (publishers that
    regenerate GUIDs on every fetch). An unchanged entry (same content hash) is neither."""
    existing = {
        r.key: r
        for r in conn.execute(
            sa.select(entry_t.c.id, entry_t.c.key, entry_t.c.content_hash).where(
                entry_t.c.feed_id == feed_id,
                entry_t.c.key.in_([e.key for e in batch]),
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
                    entry_t.c.id, entry_t.c.url, entry_t.c.title, entry_t.c.content_hash
                ).where(entry_t.c.feed_id == feed_id, entry_t.c.url.in_(unknown_urls))
            )
        }
    inserts: list[ParsedEntry] = []
    updates: list[tuple[int, ParsedEntry]] = []
    for e in batch:
        row = existing.get(e.key) or by_link.get((e.url, e.title))
        if row is None:
            inserts.append(e)
        elif row.content_hash != e.content_hash:
            updates.append((row.id, e))
    return inserts, updates


def _insert_new(
    conn: sa.Connection,
    feed_id: str,
    inserts: list[ParsedEntry],
    now: datetime,
    tagger: EntryTagger | None,
    extras: Mapping[str, Extras],
) -> list[dict[str, Any]]:
    """Insert new entries (first seen now) and index them; returns their tag rows."""
    if not inserts:
        return []
    ids = (
        conn.execute(
            sa.insert(entry_t).returning(entry_t.c.id, sort_by_parameter_order=True),
            [_entry_values(feed_id, e, now) | {"first_seen_at": now} for e in inserts],
        )
        .scalars()
        .all()
    )
    tags: list[dict[str, Any]] = []
    if tagger:
        for entry_id, e in zip(ids, inserts, strict=True):
            tags += tag_rows(entry_id, tagger(e))
    _index(conn, list(zip(ids, inserts, strict=True)), extras)
    conn.execute(
        sa.update(feed_t)
        .where(feed_t.c.id == feed_id)
        .values(entry_count=feed_t.c.entry_count + len(inserts))
    )
    return tags


def _rewrite_changed(
    conn: sa.Connection,
    feed_id: str,
    updates: list[tuple[int, ParsedEntry]],
    now: datetime,
    tagger: EntryTagger | None,
    extras: Mapping[str, Extras],
) -> list[dict[str, Any]]:
    """Rewrite changed entries under the identity they were first stored with, and their
    index; returns their new tag rows (the old ones are deleted), editors' corrections
    applied (read once the rows are locked by the updates: none can slip in between)."""
    tags: list[dict[str, Any]] = []
    for entry_id, e in updates:
        values = _entry_values(feed_id, e, now)
        values.pop("key")  # keep the identity the entry was first stored under
        values.pop("guid")
        if e.published is None:
            values.pop("published_at")  # keep the first-seen date
        conn.execute(sa.update(entry_t).where(entry_t.c.id == entry_id).values(**values))
    if tagger and updates:
        verdicts = read_verdicts(conn, (entry_id for entry_id, _ in updates))
        for entry_id, e in updates:
            conn.execute(sa.delete(tag_t).where(tag_t.c.entry_id == entry_id))
            tags += tag_rows(entry_id, corrected(tagger(e), verdicts.get(entry_id, {})))
    if updates:
        deletes = [{"id": entry_id} for entry_id, _ in updates]
        conn.execute(FTS_DELETE[conn.dialect.name], deletes)
        _index(conn, updates, extras)
    return tags


def _index(
    conn: sa.Connection,
    entries: Sequence[tuple[int, ParsedEntry]],
    extras: Mapping[str, Extras],
) -> None:
    """Put entries in the full-text index (French-normalised text, ``search.index_text``)."""
    rows = []
    for entry_id, e in entries:
        found = extras.get(e.key)
        text = (
            found.index
            if found is not None
            else index_text(e.title, e.summary_html, e.content_html, e.author, e.categories)
        )
        rows.append({"id": entry_id, "title": text.title, "body": text.body})
    if rows:
        conn.execute(FTS_INSERT[conn.dialect.name], rows)


def _tags_of(conn: sa.Connection, ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    if ids:
        query = sa.select(tag_t.c.entry_id, tag_t.c.tag).where(tag_t.c.entry_id.in_(ids))
        for entry_id, name in conn.execute(query.order_by(tag_t.c.entry_id, tag_t.c.tag)):
            found.setdefault(entry_id, []).append(name)
    return {k: tuple(v) for k, v in found.items()}


def _entry_values(feed_id: str, e: ParsedEntry, now: datetime) -> dict[str, Any]:
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
        "content_hash": e.content_hash,
        "published_at": e.published or now,
        "date_missing": e.published is None,
        "updated_at": e.updated,
        "changed_at": now,
    }


def _entry_view(r: Any, tags: tuple[str, ...], also_in: tuple[str, ...] = ()) -> EntryView:
    return EntryView(
        id=str(r.id),
        feed=r.feed_id,
        feed_title=r.feed_title,
        title=r.title,
        url=r.url,
        published=r.published_at,
        summary=r.summary_html,
        content_html=r.content_html,
        author=r.author,
        tags=tags,
        key=r.key,
        cluster=str(r.cluster_id) if r.cluster_id is not None else None,
        also_in=also_in,
        changed=r.changed_at,
        read=bool(r.is_read) if "is_read" in r._fields else None,
        starred=bool(r.is_starred) if "is_starred" in r._fields else False,
        arrived=r.first_seen_at,
    )
