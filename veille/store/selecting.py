"""What a ``Selection`` means in SQL: the entries' query (with the feed's shown title and the
reader's state), the WHERE clauses of every filter (feeds, themes, search, hidden stories,
dates, reading state, the cursor of a page), one line per story, and the page cursors.
``EntriesMixin`` runs them; the unread counts and the stories of a period read them too."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from veille.errors import QueryError
from veille.limits import check_date, parse_id
from veille.models import Reader, Selection
from veille.store.base import feed_display_title
from veille.store.fulltext import matches, matching_ids
from veille.store.states import read_value, reading_conditions, state_of
from veille.store.tables import entry_t, feed_t, hidden_t, tag_t

__all__ = [
    "decode_cursor", "encode_cursor", "entries_query", "hidden_story", "newest_of_its_story",
    "selection_conditions",
]  # fmt: skip


def entries_query(reader: Reader | None) -> Any:
    """Entries with their feed's shown title, and the reader's state when there is one."""
    columns = [entry_t, feed_display_title().label("feed_title")]
    joined = entry_t.join(feed_t, feed_t.c.id == entry_t.c.feed_id)
    if reader is not None:
        state, on = state_of(reader)
        joined = joined.outerjoin(state, on)
        columns += [
            read_value(reader, entry_t, state).label("is_read"),
            sa.func.coalesce(state.c.starred, sa.false()).label("is_starred"),
        ]
    return sa.select(*columns).select_from(joined)


def newest_of_its_story(selection: Selection, dialect: str) -> Any:
    """Collapse: keep an entry only if no newer entry of its cluster matches the selection."""
    other = entry_t.alias("other")
    newer = sa.or_(
        other.c.published_at > entry_t.c.published_at,
        sa.and_(other.c.published_at == entry_t.c.published_at, other.c.id > entry_t.c.id),
    )
    same_story = sa.exists().where(
        other.c.cluster_id == entry_t.c.cluster_id,
        newer,
        *selection_conditions(replace(selection, cursor=None), other, dialect),
    )
    return sa.or_(entry_t.c.cluster_id.is_(None), ~same_story)


def selection_conditions(
    selection: Selection,
    entry: Any,
    dialect: str,
    *,
    dense: bool = False,
    materialized: bool = False,
    page: bool = False,
) -> list[Any]:
    """The WHERE clauses of a selection over ``entry`` (the table or an alias); ``page``:
    for one page in date order (``states.unread``)."""
    conditions: list[Any] = []
    if selection.feeds:
        conditions.append(entry.c.feed_id.in_(selection.feeds))
    if selection.tags:
        conditions.append(
            sa.exists().where(tag_t.c.entry_id == entry.c.id, tag_t.c.tag.in_(selection.tags))
        )
    if selection.exclude_tags:
        conditions.append(
            ~sa.exists().where(
                tag_t.c.entry_id == entry.c.id, tag_t.c.tag.in_(selection.exclude_tags)
            )
        )
    if selection.query and dense:
        conditions.append(matches(selection.query, entry))
    elif selection.query and materialized:
        matching = (
            matching_ids(selection.query, dialect).cte("matching").prefix_with("MATERIALIZED")
        )
        conditions.append(entry.c.id.in_(sa.select(matching.c.entry_id)))
    elif selection.query:
        conditions.append(entry.c.id.in_(matching_ids(selection.query, dialect)))
    if selection.hidden_from:
        conditions.append(~hidden_story(selection.hidden_from, entry))
    if selection.since:
        conditions.append(entry.c.published_at >= selection.since)
    if selection.until:
        conditions.append(entry.c.published_at < selection.until)
    conditions += reading_conditions(selection, entry, dialect, page=page)
    if selection.cursor:
        published, entry_id = decode_cursor(selection.cursor)
        if selection.oldest_first:
            after = sa.or_(
                entry.c.published_at > published,
                sa.and_(entry.c.published_at == published, entry.c.id > entry_id),
            )
        else:
            after = sa.or_(
                entry.c.published_at < published,
                sa.and_(entry.c.published_at == published, entry.c.id < entry_id),
            )
        conditions.append(after)
    return conditions


def hidden_story(digest: str, entry: Any) -> Any:
    """An editor hid this entry, or another entry of its story, from ``digest``: the editor
    saw one line per story and hid that line, so no other copy of the story takes its place."""
    hidden = entry_t.alias("hidden_entry")
    same_story = sa.or_(
        hidden.c.id == entry.c.id,
        sa.and_(entry.c.cluster_id.is_not(None), hidden.c.cluster_id == entry.c.cluster_id),
    )
    return (
        sa.exists()
        .select_from(hidden_t.join(hidden, hidden.c.id == hidden_t.c.entry_id))
        .where(hidden_t.c.digest == digest, same_story)
    )


def encode_cursor(published: datetime, entry_id: int) -> str:
    raw = f"{published.astimezone(UTC).isoformat()}|{entry_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        published, text = raw.split("|")
        when = datetime.fromisoformat(published)
        entry_id = parse_id(text)
        if when.tzinfo is None or entry_id is None:
            raise ValueError("naive date or bad id")
        return check_date(when, "curseur"), entry_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise QueryError("curseur invalide") from e
