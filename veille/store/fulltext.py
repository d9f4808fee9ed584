"""The full-text index and the plans that search it, per backend (migration 0003): the same
normalised text (``rules.search.index_text``) in SQLite's FTS5 table ``entry_fts`` and in
PostgreSQL's ``entry_search`` (``tsvector``), the same query semantics
(``rules.search.compile_query``), and the plans that keep a search fast whatever its share of
matching entries (BENCHMARKS.md, « Search »): a frequent term walks the newest entries, a
rare one reads its matches first."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from veille.models import Selection
from veille.rules.search import compile_query, to_tsquery
from veille.store.tables import entry_t

__all__ = [
    "FTS_DELETE", "FTS_INSERT", "is_dense", "matches", "matching_ids", "pg_search_rows",
    "recent_first", "sqlite_recent_matches",
]  # fmt: skip


# The full-text index, per backend (migration 0003): same normalised text, same semantics.
FTS_INSERT = {
    "sqlite": sa.text("INSERT INTO entry_fts(rowid, title, body) VALUES (:id, :title, :body)"),
    "postgresql": sa.text(
        "INSERT INTO entry_search(entry_id, document) VALUES (:id, "
        "setweight(to_tsvector('simple', :title), 'A') || "
        "setweight(to_tsvector('simple', :body), 'B'))"
    ),
}
FTS_DELETE = {
    "sqlite": sa.text("DELETE FROM entry_fts WHERE rowid = :id"),
    "postgresql": sa.text("DELETE FROM entry_search WHERE entry_id = :id"),
}
_fts = sa.table("entry_fts", sa.column("rowid"))
_pg_search = sa.table("entry_search", sa.column("entry_id"), sa.column("document"))


def matching_ids(query: str, dialect: str) -> Any:
    """Ids of the entries matching a user query (compiled once, never passed raw)."""
    compiled = compile_query(query)
    if dialect == "postgresql":
        found = sa.text("document @@ to_tsquery('simple', :ts_query)").bindparams(
            ts_query=to_tsquery(compiled)
        )
        return sa.select(_pg_search.c.entry_id).where(found)
    found = sa.text("entry_fts MATCH :fts_match").bindparams(fts_match=compiled.match)
    return sa.select(_fts.c.rowid).where(found)


def recent_first(selection: Selection, dialect: str) -> bool:
    """A SQLite search on a first page, newest first, not collapsed:
    ``_sqlite_recent_matches``."""
    return (
        bool(selection.query)
        and dialect == "sqlite"
        and not selection.cursor
        and not selection.collapse
        and not selection.oldest_first
    )


RECENT_TRIES = 4  # candidate windows of 4, 16, 64, 256 × the page, then the plain plan
# Older-id entries published after the page's last row that the plan checks one by one; more
# means ids do not follow dates (a store filled feed by feed by its first refresh, a feed
# added with a long backlog): the plain plans are then faster.
RECENT_BACKFILL_MAX = 1000


def sqlite_recent_matches(
    conn: sa.Connection, unsearched: Any, selection: Selection
) -> list[Any] | None:
    """First page of a search without sorting every match nor checking entries one by one
    (SQLite).

    The FTS index streams matching rowids newest first (``ORDER BY rowid DESC``), and ids
    follow insertion time, which mostly follows publication time. So: take the newest
    candidates by id, keep those passing the other filters, sorted by date; then add the
    few older-id entries published after the page's last row (an entry back-filled late),
    found by a range on ``ix_entry_published`` and checked against the index by rowid.
    Exact: the same rows as sorting every match. None (use the plain plans) when the
    candidate windows do not fill the page or too many older ids need checking."""
    page = selection.limit + 1
    match = compile_query(selection.query).match
    newest = sa.text(
        "SELECT rowid FROM entry_fts WHERE entry_fts MATCH :m ORDER BY rowid DESC LIMIT :k"
    )
    window = 4 * page
    for _ in range(RECENT_TRIES):
        ids = list(conn.execute(newest, {"m": match, "k": window}).scalars())
        rows = list(conn.execute(unsearched.where(entry_t.c.id.in_(ids))).all()) if ids else []
        if len(ids) < window:
            return rows  # every match was a candidate
        if len(rows) >= page:
            last = rows[page - 1]
            after_last = sa.or_(
                entry_t.c.published_at > last.published_at,
                sa.and_(entry_t.c.published_at == last.published_at, entry_t.c.id > last.id),
            )
            older_ids = list(
                conn.execute(
                    sa.select(entry_t.c.id)
                    .where(after_last, entry_t.c.id < min(ids))
                    .limit(RECENT_BACKFILL_MAX + 1)
                ).scalars()
            )
            if len(older_ids) > RECENT_BACKFILL_MAX:
                return None
            if older_ids:
                found = sa.text(
                    "SELECT rowid FROM entry_fts WHERE entry_fts MATCH :m AND rowid IN "
                    "(SELECT value FROM json_each(:ids))"
                )
                hits = list(
                    conn.execute(found, {"m": match, "ids": json.dumps(older_ids)}).scalars()
                )
                if hits:
                    rows += conn.execute(unsearched.where(entry_t.c.id.in_(hits))).all()
                    rows.sort(key=lambda r: (r.published_at, r.id), reverse=True)
            return rows[:page]
        window *= 4
    return None


# PostgreSQL: how many of the newest entries a search first looks at (see ``_pg_search``).
PG_PROBE = 2000
PG_DENSE = 200  # 1/200 = 0.5 %: at least this share matching → walk the newest entries


def pg_search_rows(conn: sa.Connection, planned: Callable[..., Any], limit: int) -> list[Any]:
    """A search on PostgreSQL, whose planner assumes 0.5 % of matches for any word it has no
    statistics on: it then walks the newest entries, which is right for common words and
    reads the whole table for a rare one. So: try the newest ``PG_PROBE`` entries first (a
    common word fills the page there); if they hold too few matches, the word is rare and
    its matches are collected first through the GIN index (a materialised CTE) and sorted.
    Same rows, same order either way."""
    newest = (
        sa.select(entry_t.c.published_at)
        .order_by(entry_t.c.published_at.desc(), entry_t.c.id.desc())
        .offset(PG_PROBE - 1)
        .limit(1)
    )
    if conn.execute(newest).scalar() is None:  # a small store: any plan is fast
        return list(conn.execute(planned()).all())
    # The bound stays a subquery: given as a value, the planner would estimate the range and
    # pick a bitmap scan of the whole index for a phrase of common words (slow at 1M entries).
    probe = conn.execute(planned().where(entry_t.c.published_at >= newest.scalar_subquery())).all()
    if len(probe) > limit:
        return list(probe)  # the page (and the "more" row) came from the newest entries
    if len(probe) * PG_DENSE >= PG_PROBE:
        return list(conn.execute(planned()).all())
    return list(conn.execute(planned(materialized=True)).all())


# A search matching at least this share of the entries is "dense" (SQLite).
DENSE_SHARE = 20  # 1/20 = 5 %
DENSE_MIN = 1000


def is_dense(conn: sa.Connection, query: str) -> bool:
    """Whether a search matches so many entries that walking the newest entries and checking
    each one (``_matches``) beats materialising every match (``_matching``) and sorting them.

    Counting stops at the threshold, so the check itself is bounded (the FTS index streams
    rowids). Both plans give the same rows in the same order."""
    newest = conn.execute(sa.select(sa.func.max(entry_t.c.id))).scalar() or 0
    cap = max(DENSE_MIN, newest // DENSE_SHARE)
    match = compile_query(query).match
    found = conn.execute(
        sa.text(
            "SELECT count(*) FROM (SELECT rowid FROM entry_fts WHERE entry_fts MATCH :m LIMIT :c)"
        ),
        {"m": match, "c": cap},
    ).scalar()
    return int(found or 0) >= cap


def matches(query: str, entry: Any) -> Any:
    """One entry matches (SQLite): an FTS lookup by rowid, for the dense plan."""
    found = sa.text("entry_fts MATCH :fts_match").bindparams(fts_match=compile_query(query).match)
    return sa.exists(sa.select(_fts.c.rowid).where(found, _fts.c.rowid == entry.c.id))
