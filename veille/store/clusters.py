"""Same-story clusters: assigned after each update to the recent unclustered entries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from veille.rules.story import LEAD_HTML_CHARS
from veille.store.base import StoreBase, feed_display_title
from veille.store.tables import entry_t, feed_t

# cluster.assign_clusters: (new items, candidates) -> {key: cluster key}; items are built with
# the ``item`` factory handed over by the caller (the store does not import the domain rules).
Assign = Callable[[Sequence[Any], Iterable[Any]], dict[str, str]]
ItemFactory = Callable[..., Any]

WINDOW = timedelta(hours=72)


class ClustersMixin(StoreBase):
    def cluster_pending(self, assign: Assign, item: ItemFactory, *, since: datetime) -> int:
        """Cluster the entries published since ``since`` that have no cluster yet, against
        every entry published up to 72 h before them. Returns how many entries were placed.

        One pass reads the window once (not once per feed), so a full refresh of thousands
        of feeds costs one query and one in-memory grouping (and one small query first: the
        earliest pending entry, which bounds whose summaries are read).
        """
        with self.engine.connect() as conn:
            first = conn.execute(
                sa.select(sa.func.min(entry_t.c.published_at)).where(
                    entry_t.c.cluster_id.is_(None), entry_t.c.published_at >= since
                )
            ).scalar()
        if first is None:
            return 0
        # The rules read the lead of a summary (else of the content): only its head is read,
        # and only for the entries a pending one can be compared with (72 h, counted in whole
        # days: a margin), i.e. a few days of the window after an ordinary update.
        text = sa.func.coalesce(sa.func.nullif(entry_t.c.summary_html, ""), entry_t.c.content_html)
        summary = sa.case(
            (
                entry_t.c.published_at >= first - WINDOW - timedelta(days=2),
                sa.func.substr(text, 1, LEAD_HTML_CHARS),
            ),
            else_=sa.literal(""),
        )
        query = sa.select(
            entry_t.c.id,
            entry_t.c.feed_id,
            entry_t.c.title,
            entry_t.c.url,
            entry_t.c.published_at,
            entry_t.c.cluster_id,
            summary.label("summary"),
        ).where(entry_t.c.published_at >= since - WINDOW)
        pending: list[Any] = []
        others: list[Any] = []
        with self.engine.connect() as conn:
            # Row by row into the (lighter) items: a 2,000-feed window is ~60k rows, and
            # holding the rows beside the items doubled the peak memory of a refresh.
            for r in conn.execution_options(yield_per=2000).execute(query):
                is_new = r.cluster_id is None and r.published_at >= since
                (pending if is_new else others).append(
                    item(
                        key=str(r.id),
                        feed=r.feed_id,
                        title=r.title,
                        published=r.published_at,
                        url=r.url,
                        cluster=str(r.cluster_id) if r.cluster_id is not None else None,
                        summary=r.summary or "",
                    )
                )
        if not pending:
            return 0
        result = assign(pending, others)
        del pending, others
        if result:
            with self._write() as conn:
                conn.execute(
                    sa.update(entry_t)
                    .where(entry_t.c.id == sa.bindparam("_id"))
                    .values(cluster_id=sa.bindparam("_cluster")),
                    [{"_id": int(k), "_cluster": int(v)} for k, v in result.items()],
                )
        return len(result)


def also_in(
    conn: sa.Connection, shown: Sequence[tuple[int, int | None, str]]
) -> dict[int, tuple[str, ...]]:
    """For shown ``(entry id, cluster id, feed id)``: titles of the *other* sources carrying
    the same story."""
    clusters = {c for _, c, _ in shown if c is not None}
    if not clusters:
        return {}
    title = feed_display_title()
    rows = conn.execute(
        sa.select(entry_t.c.cluster_id, entry_t.c.feed_id, title.label("feed_title"))
        .join(feed_t, feed_t.c.id == entry_t.c.feed_id)
        .where(entry_t.c.cluster_id.in_(clusters))
        .distinct()
        .order_by(entry_t.c.cluster_id, "feed_title")
    ).all()
    by_cluster: dict[int, list[tuple[str, str]]] = {}
    for r in rows:
        by_cluster.setdefault(r.cluster_id, []).append((r.feed_id, r.feed_title))
    return {
        entry_id: tuple(t for f, t in by_cluster.get(cluster, []) if f != feed)
        for entry_id, cluster, feed in shown
        if cluster is not None
    }
