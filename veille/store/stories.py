"""The stories of a period with all their copies: what « À la une » ranks
(``veille.selection.une_stories``, ``veille.rules.importance``); and the stories editors
dropped from it, per digest (undone by ``restore_to_une``)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from veille.limits import parse_id
from veille.models import Selection, StoryCopy, StoryStats
from veille.store.base import StoreBase, curation_key, feed_display_title, write_meta
from veille.store.selecting import selection_conditions
from veille.store.tables import entry_t, feed_t, tag_t, une_dropped_t


class StoriesMixin(StoreBase):
    def story_copies(
        self, selection: Selection, *, stories: Collection[str] | None = None
    ) -> list[StoryCopy]:
        """Every copy, published in the selection's period, of the stories ``selection``
        matches (its filters, hidden stories left out; no limit, no cursor), oldest first;
        ``stories``: only those (their keys, ``StoryCopy.story``).

        A story matched through one copy counts all its copies of the period, whatever the
        digest's filters (as « aussi dans » does): the outlets that carried it are the signal.
        One query (the copies with their tags, one row per tag), never one per story.
        """
        conditions = _copies_in(selection, entry_t, self.engine.dialect.name)
        if stories is not None:
            ids = [i for i in (parse_id(k) for k in stories) if i is not None]
            conditions.append(sa.or_(entry_t.c.cluster_id.in_(ids), entry_t.c.id.in_(ids)))
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

    def story_stats(
        self, selection: Selection, *, institutions: Collection[str], themes: Collection[str]
    ) -> list[StoryStats]:
        """The stories of ``selection``'s period (its copies as in ``story_copies``) that may
        be « à la une » — relayed, or carried by one of the ``institutions`` — summed up in
        SQL: distinct outlets, an institution among them, distinct ``themes`` carried, first
        and last publication, last change. A week's copies are not read one by one (most of
        a week's articles are nobody else's, and thousands of rows would cost the page:
        BENCHMARKS.md, « À la une »); only the candidates are: the clusters with a copy
        other than their first in the period (``ix_entry_relayed``, which holds only those)
        and the institutional feeds' entries (``ix_entry_feed_published``).
        """
        dialect = self.engine.dialect.name
        story = sa.func.coalesce(entry_t.c.cluster_id, entry_t.c.id).label("story")
        picked = [entry_t.c.id, story, entry_t.c.feed_id]
        picked += [entry_t.c.published_at, entry_t.c.changed_at]
        # The relayed stories' copies are found by cluster: the period is written so that no
        # index on the date is used for them (it would read the whole week).
        relayed = sa.select(*picked).where(
            *_copies_in(selection, entry_t, dialect, by_date=False),
            entry_t.c.cluster_id.in_(_relayed(selection)),
        )
        official = sa.select(*picked).where(
            *_copies_in(selection, entry_t, dialect), entry_t.c.feed_id.in_(list(institutions))
        )
        # UNION ALL: a copy found twice counts once all the same (distinct counts, min, max).
        copies = sa.union_all(relayed, official).subquery("copy")
        # Themes filtered in the count, not in the join: joined by its key (entry, tag), a
        # copy's tags are one index range; filtered first, one lookup per theme and copy.
        theme = sa.case((tag_t.c.tag.in_(list(themes)), tag_t.c.tag))
        institutional = sa.case((copies.c.feed_id.in_(list(institutions)), 1), else_=0)
        query = (
            sa.select(
                copies.c.story,
                sa.func.count(sa.distinct(copies.c.feed_id)).label("outlets"),
                sa.func.max(institutional).label("institutional"),
                sa.func.count(sa.distinct(theme)).label("themes"),
                sa.func.min(copies.c.published_at).label("first"),
                sa.func.max(copies.c.published_at).label("last"),
                sa.func.max(copies.c.changed_at).label("changed"),
            )
            .select_from(copies.outerjoin(tag_t, tag_t.c.entry_id == copies.c.id))
            .group_by(copies.c.story)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [
            StoryStats(
                key=str(r.story),
                outlets=int(r.outlets),
                institutional=bool(r.institutional),
                themes=int(r.themes),
                first_published=_utc(r.first),
                last_published=_utc(r.last),
                changed=_utc(r.changed) if r.changed is not None else None,
            )
            for r in rows
        ]

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


def _copies_in(
    selection: Selection, entry: Any, dialect: str, *, by_date: bool = True
) -> list[Any]:
    """The conditions of the copies of ``selection``'s stories over ``entry`` (the table or
    an alias): the selection's own, or, when it filters (themes, feeds, a search), every copy
    in its period of a story it matched. ``by_date`` False: the period is written so that no
    index on the date serves it (the copies of a few stories are found by their cluster)."""
    whole = replace(selection, cursor=None, collapse=False)
    published = entry.c.published_at
    when = published if by_date else sa.func.coalesce(published, published)
    period = [when >= whole.since] if whole.since else []
    period += [when < whole.until] if whole.until else []
    if not (whole.tags or whole.exclude_tags or whole.feeds or whole.query):
        undated = replace(whole, since=None, until=None)
        return [*selection_conditions(undated, entry, dialect), *period]
    matched = entry_t.alias()
    chosen = sa.select(matched.c.id).where(*selection_conditions(whole, matched, dialect))
    clusters = chosen.with_only_columns(matched.c.cluster_id).where(
        matched.c.cluster_id.is_not(None)
    )
    return [*period, sa.or_(entry.c.id.in_(chosen), entry.c.cluster_id.in_(clusters))]


def _utc(value: Any) -> datetime:
    """An aggregate's date: SQLite gives the stored text back (no column type applies to
    ``min``/``max``), PostgreSQL a naive datetime; both are UTC (``tables.UTCDateTime``)."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _relayed(period: Selection) -> Any:
    """Clusters with a copy other than their first published in ``period``: the stories
    others relayed (clustering never groups one feed's entries: two copies are two outlets),
    found through ``ix_entry_relayed``, which holds only such copies (a fraction of a week).
    Their copies are then read by cluster (``ix_entry_cluster``); one with a single copy in
    the period is still read: ``rules.importance.newsworthy`` has the last word."""
    relayed = entry_t.alias("relayed")
    clusters = sa.select(relayed.c.cluster_id).where(relayed.c.cluster_id != relayed.c.id)
    if period.since is not None:
        clusters = clusters.where(relayed.c.published_at >= period.since)
    if period.until is not None:
        clusters = clusters.where(relayed.c.published_at < period.until)
    return clusters


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
