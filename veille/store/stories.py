"""The stories of a period with all their copies: what « À la une » ranks
(``veille.selection.une_stories``, ``veille.rules.importance``); and the stories editors
dropped from it, per digest (undone by ``restore_to_une``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from veille.limits import parse_id
from veille.models import Selection, StoryCopy
from veille.store.base import StoreBase, curation_key, feed_display_title, write_meta
from veille.store.entries import selection_conditions
from veille.store.tables import entry_t, feed_t, tag_t, une_dropped_t


class StoriesMixin(StoreBase):
    def story_copies(self, selection: Selection) -> list[StoryCopy]:
        """Every copy, published in the selection's period, of the stories ``selection``
        matches (its filters, hidden stories left out; no limit, no cursor), oldest first.

        A story matched through one copy counts all its copies of the period, whatever the
        digest's filters (as « aussi dans » does): the outlets that carried it are the signal.
        One query (the copies with their tags, one row per tag), never one per story.
        """
        dialect = self.engine.dialect.name
        whole = replace(selection, cursor=None, collapse=False)
        conditions = selection_conditions(whole, entry_t, dialect)
        if whole.tags or whole.exclude_tags or whole.feeds or whole.query:
            matched = entry_t.alias("matched")
            chosen = sa.select(matched.c.id, matched.c.cluster_id).where(
                *selection_conditions(whole, matched, dialect)
            )
            period = replace(Selection(), since=whole.since, until=whole.until)
            conditions = [
                *selection_conditions(period, entry_t, dialect),
                sa.or_(
                    entry_t.c.id.in_(chosen.with_only_columns(matched.c.id)),
                    entry_t.c.cluster_id.in_(
                        chosen.with_only_columns(matched.c.cluster_id).where(
                            matched.c.cluster_id.is_not(None)
                        )
                    ),
                ),
            ]
        query = (
            sa.select(
                entry_t.c.id,
                entry_t.c.cluster_id,
                entry_t.c.feed_id,
                feed_display_title().label("feed_title"),
                entry_t.c.title,
                entry_t.c.published_at,
                entry_t.c.changed_at,
                tag_t.c.tag,
            )
            .join(feed_t, feed_t.c.id == entry_t.c.feed_id)
            .outerjoin(tag_t, tag_t.c.entry_id == entry_t.c.id)
            .where(*conditions)
            .order_by(entry_t.c.published_at, entry_t.c.id)
        )
        with self._read() as conn:
            return _copies(conn.execute(query))

    def drop_from_une(self, digest: str, entry_id: str, editor: str, now: datetime) -> bool:
        """Drop the story of an entry (the line the editor saw) from « À la une » of
        ``digest`` in every output (pages, feeds, letter: ``selection.une_stories``); its
        outputs change, so their validators do. False: no such entry."""
        eid = parse_id(entry_id)
        with self._write() as conn:
            known = sa.select(entry_t.c.id).where(entry_t.c.id == eid)
            if eid is None or conn.execute(known).first() is None:
                return False
            key = (une_dropped_t.c.digest == digest) & (une_dropped_t.c.entry_id == eid)
            if conn.execute(sa.select(une_dropped_t.c.entry_id).where(key)).first() is None:
                conn.execute(
                    sa.insert(une_dropped_t).values(
                        digest=digest, entry_id=eid, editor=editor, created_at=now
                    )
                )
                write_meta(conn, curation_key(digest), now.isoformat())
        return True

    def restore_to_une(self, digest: str, entry_id: str, now: datetime) -> bool:
        """Undo ``drop_from_une``; False when that entry's story was not dropped."""
        eid = parse_id(entry_id)
        key = (une_dropped_t.c.digest == digest) & (une_dropped_t.c.entry_id == eid)
        with self._write() as conn:
            if eid is None or not conn.execute(sa.delete(une_dropped_t).where(key)).rowcount:
                return False
            write_meta(conn, curation_key(digest), now.isoformat())
        return True

    def une_dropped(self, digest: str) -> frozenset[str]:
        """Keys of the stories dropped from « À la une » of ``digest`` (``EntryView.story``
        of the entries dropped: read now, so a story that gained copies stays dropped)."""
        story = sa.func.coalesce(entry_t.c.cluster_id, entry_t.c.id)
        query = (
            sa.select(story)
            .select_from(une_dropped_t.join(entry_t, entry_t.c.id == une_dropped_t.c.entry_id))
            .where(une_dropped_t.c.digest == digest)
        )
        with self._read() as conn:
            return frozenset(str(r) for r in conn.execute(query).scalars())

    def une_dropped_entries(self, digest: str) -> list[str]:
        """The entries whose story an editor dropped from « À la une », in drop order."""
        query = (
            sa.select(une_dropped_t.c.entry_id)
            .where(une_dropped_t.c.digest == digest)
            .order_by(une_dropped_t.c.created_at, une_dropped_t.c.entry_id)
        )
        with self._read() as conn:
            return [str(r) for r in conn.execute(query).scalars()]


def _copies(rows: Any) -> list[StoryCopy]:
    """Rows (one per tag) folded into copies, in row order."""
    out: list[StoryCopy] = []
    last: Any = None
    tags: list[str] = []
    for r in rows:
        if last is not None and r.id != last.id:
            out.append(_copy(last, tags))
            tags = []
        last = r
        if r.tag is not None:
            tags.append(r.tag)
    if last is not None:
        out.append(_copy(last, tags))
    return out


def _copy(r: Any, tags: list[str]) -> StoryCopy:
    return StoryCopy(
        id=str(r.id),
        cluster=str(r.cluster_id) if r.cluster_id is not None else None,
        feed=r.feed_id,
        feed_title=r.feed_title,
        title=r.title,
        published=r.published_at,
        tags=tuple(sorted(tags)),
        changed=r.changed_at,
    )
