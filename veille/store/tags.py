"""Tags: stored with their reasons; re-applied to every entry when the rules change.

Editors' corrections (``tag_correction``) win over the rules: every place that writes an
entry's tags — a new or changed entry (``entries.py``), a retag (here), a correction itself
(``corrections.py``) — writes ``corrected(rules' tags, the entry's verdicts)``. So
``entry_tag`` always holds the final themes, and every reader of it (the one query of a
``Selection``, tag counts, the API's tags) honours the corrections without knowing of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Protocol

import sqlalchemy as sa

from veille.limits import parse_id
from veille.rules.tagging import EDITOR_FIELD
from veille.store.base import RETAGGED_KEY, StoreBase, in_chunks, write_meta
from veille.store.tables import correction_t, entry_t, tag_t

RULES_KEY = "rules_fingerprint"
RETAG_BATCH = 2000


class Reason(Protocol):
    """Why a tag was given (``tag.TagReason`` fits)."""

    @property
    def field(self) -> str: ...

    @property
    def shown(self) -> str:
        """What is stored and shown: the words found (``TagReason.shown``)."""
        ...


# (feed_id, title, summary_html, content_html, categories, url) -> {tag: reason}; the link
# counts (a ``hosts:`` rule gives a theme by the article's host).
TagFields = Callable[[str, str, str, str, tuple[str, ...], str | None], Mapping[str, Reason]]
Fields = tuple[str, str, str, str, tuple[str, ...], str | None]
TagMany = Callable[[list[Fields]], list[Mapping[str, Reason]]]


def tag_rows(entry_id: int, tags: Mapping[str, Reason]) -> list[dict[str, Any]]:
    return [
        {"entry_id": entry_id, "tag": name, "field": r.field, "term": r.shown}
        for name, r in tags.items()
    ]


@dataclass(frozen=True, slots=True)
class EditorReason:
    """Why a theme is there when an editor gave it (who and when: ``tag_correction``; the
    public API shows only that an editor did)."""

    field: str = EDITOR_FIELD
    shown: str = ""


EDITOR = EditorReason()


def corrected(tags: Mapping[str, Reason], verdicts: Mapping[str, bool]) -> dict[str, Reason]:
    """The rules' ``tags`` of an entry with its editors' verdicts (tag -> the theme belongs
    to the entry or not) applied: the verdicts win."""
    out = dict(tags)
    for name, added in verdicts.items():
        if added:
            out[name] = EDITOR
        else:
            out.pop(name, None)
    return out


def read_verdicts(conn: sa.Connection, ids: Iterable[int]) -> dict[int, dict[str, bool]]:
    """The verdicts of the entries ``ids`` that have some (read in the caller's transaction,
    after it has locked the entries it rewrites: see ``lock_entries``)."""
    found: dict[int, dict[str, bool]] = {}
    wanted = list(ids)
    for start in range(0, len(wanted), RETAG_BATCH):
        query = sa.select(correction_t).where(
            correction_t.c.entry_id.in_(wanted[start : start + RETAG_BATCH])
        )
        for c in conn.execute(query):
            found.setdefault(c.entry_id, {})[c.tag] = c.added
    return found


def lock_entries(conn: sa.Connection, ids: Iterable[int]) -> None:
    """Lock the rows of entries whose tags the transaction rewrites (PostgreSQL; SQLite has
    one writer anyway): a correction and a retag of the same entry then follow each other,
    and the second reads the first one's verdicts."""
    wanted = sorted(ids)  # one order for everybody: no deadlock
    if wanted and conn.dialect.name == "postgresql":
        conn.execute(sa.select(entry_t.c.id).where(entry_t.c.id.in_(wanted)).with_for_update())


class TagsMixin(StoreBase):
    def retag(
        self,
        tag_fields: TagFields,
        fingerprint: str,
        *,
        tag_many: TagMany | None = None,
        now: datetime | None = None,
    ) -> tuple[int, int]:
        """Re-apply the rules to every stored entry; returns ``(entries seen, entries whose
        tags changed)``. Only differences are written. Records ``fingerprint`` at the end, so
        an interrupted retag is redone from the start next time. ``tag_many`` tags a whole
        batch at once (e.g. in worker processes); by default ``tag_fields`` runs per entry.
        When tags change, the time (``now``, else the clock) is recorded: output feeds whose
        entries come and go with a theme then get new validators."""
        seen = changed = 0
        rows = self.tagging_fields()
        while batch := list(islice(rows, RETAG_BATCH)):
            ids = [r[0] for r in batch]
            current: dict[int, dict[str, tuple[str, str]]] = {i: {} for i in ids}
            with self.engine.connect() as conn:
                for t in conn.execute(sa.select(tag_t).where(tag_t.c.entry_id.in_(ids))):
                    current[t.entry_id][t.tag] = (t.field, t.term)
                verdicts = read_verdicts(conn, ids)
            stale: list[int] = []
            fresh: list[dict[str, Any]] = []
            fields = [r[1:] for r in batch]
            if tag_many is not None:
                all_tags = tag_many(fields)
            else:
                all_tags = [tag_fields(*f) for f in fields]
            by_rules = dict(zip(ids, all_tags, strict=True))
            for entry_id, tags in by_rules.items():
                final = corrected(tags, verdicts.get(entry_id, {}))
                wanted = {name: (reason.field, reason.shown) for name, reason in final.items()}
                if wanted != current[entry_id]:
                    stale.append(entry_id)
            if stale:
                with self._write() as conn:
                    # A correction made since the read above is in force by now.
                    lock_entries(conn, stale)
                    verdicts = read_verdicts(conn, stale)
                    for entry_id in stale:
                        final = corrected(by_rules[entry_id], verdicts.get(entry_id, {}))
                        fresh += tag_rows(entry_id, final)
                    conn.execute(sa.delete(tag_t).where(tag_t.c.entry_id.in_(stale)))
                    if fresh:
                        conn.execute(sa.insert(tag_t), fresh)
                    when = now or datetime.now(UTC)
                    write_meta(conn, RETAGGED_KEY, when.isoformat())
            seen += len(batch)
            changed += len(stale)
        self.set_meta(RULES_KEY, fingerprint)
        return seen, changed

    def tagging_fields(
        self, since: datetime | None = None, *, ids: Iterable[int] | None = None
    ) -> Iterator[tuple[int, str, str, str, str, tuple[str, ...], str | None]]:
        """``(id, feed_id, title, summary_html, content_html, categories, url)`` of the entries
        published since ``since`` (all when None; only ``ids`` when given), newest first,
        read in batches."""
        cursor: tuple[datetime, int] | None = None
        while True:
            query = (
                sa.select(
                    entry_t.c.id,
                    entry_t.c.feed_id,
                    entry_t.c.title,
                    entry_t.c.summary_html,
                    entry_t.c.content_html,
                    entry_t.c.categories,
                    entry_t.c.url,
                    entry_t.c.published_at,
                )
                .order_by(entry_t.c.published_at.desc(), entry_t.c.id.desc())
                .limit(RETAG_BATCH)
            )
            if since is not None:
                query = query.where(entry_t.c.published_at >= since)
            if ids is not None:
                query = query.where(entry_t.c.id.in_(list(ids)))
            if cursor is not None:
                query = query.where(
                    sa.or_(
                        entry_t.c.published_at < cursor[0],
                        sa.and_(entry_t.c.published_at == cursor[0], entry_t.c.id < cursor[1]),
                    )
                )
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            for r in rows:
                yield (
                    r.id,
                    r.feed_id,
                    r.title,
                    r.summary_html,
                    r.content_html,
                    tuple(json.loads(r.categories)),
                    r.url,
                )
            if len(rows) < RETAG_BATCH:
                return
            cursor = (rows[-1].published_at, rows[-1].id)

    def entry_fields(self, entry_id: str | int) -> Fields | None:
        """``(feed_id, title, summary_html, content_html, categories, url)`` of one entry: what
        the rules read (``tagging_fields`` for one entry)."""
        eid = parse_id(entry_id)
        if eid is None:
            return None
        for row in self.tagging_fields(ids=[eid]):
            return row[1:]
        return None

    def rules_fingerprint(self) -> str | None:
        return self.get_meta(RULES_KEY)

    def tag_counts(self, since: datetime | None = None) -> dict[str, int]:
        """Entries per tag (optionally among entries published since ``since``)."""
        query = sa.select(tag_t.c.tag, sa.func.count()).group_by(tag_t.c.tag)
        if since is not None:
            query = query.join(entry_t, entry_t.c.id == tag_t.c.entry_id).where(
                entry_t.c.published_at >= since
            )
        with self.engine.connect() as conn:
            return {name: int(n) for name, n in conn.execute(query)}

    def tag_reasons(self, entry_id: int) -> dict[str, tuple[str, str]]:
        """``{tag: (field, term)}`` of one entry."""
        return self.tag_reasons_of([entry_id]).get(str(entry_id), {})

    def tag_reasons_of(
        self, entry_ids: Iterable[str | int]
    ) -> dict[str, dict[str, tuple[str, str]]]:
        """``{entry id: {tag: (field, term)}}`` of ``entry_ids`` (an entry without tags, or
        unknown, is left out)."""
        ids = [i for i in (parse_id(e) for e in entry_ids) if i is not None]
        reasons: dict[str, dict[str, tuple[str, str]]] = {}
        with self.engine.connect() as conn:
            for chunk in in_chunks(ids):
                query = sa.select(tag_t).where(tag_t.c.entry_id.in_(chunk))
                for t in conn.execute(query):
                    reasons.setdefault(str(t.entry_id), {})[t.tag] = (t.field, t.term)
        return reasons
