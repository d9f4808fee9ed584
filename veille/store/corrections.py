"""Editors' corrections of themes: a verdict per (entry, theme) — the theme belongs to the
entry or it does not — with who gave it and when.

A verdict wins over the rules for that entry on every output, for good: it is written into
``entry_tag`` at once, and every later write of the entry's tags (a changed entry, a retag
after a change of rules) applies it again (``tags.corrected``; see the docstring of
``store/tags.py``). Undoing a verdict gives the theme back to the rules: the caller passes
what the rules say of it now (``undo_correction``). ``veille tags suggest`` reads the verdicts
to propose rule changes (``rules/suggest.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from veille.limits import parse_id
from veille.store.base import RETAGGED_KEY, StoreBase, write_meta
from veille.store.tables import correction_t, entry_t, tag_t
from veille.store.tags import EDITOR, Reason, lock_entries, tag_rows


@dataclass(frozen=True, slots=True)
class Correction:
    """An editor's verdict: ``added`` (the theme belongs to the entry) or removed."""

    entry_id: str
    tag: str
    added: bool
    editor: str
    created_at: datetime
    title: str = ""  # the entry's, for lists


class CorrectionsMixin(StoreBase):
    def correct_tag(
        self, entry_id: str | int, tag: str, *, added: bool, editor: str, now: datetime
    ) -> bool:
        """Record an editor's verdict on ``tag`` for an entry (replacing an earlier one) and
        apply it to the entry's tags at once. False: unknown entry."""
        eid = parse_id(entry_id)
        if eid is None:
            return False
        with self._write() as conn:
            lock_entries(conn, [eid])
            if conn.execute(sa.select(entry_t.c.id).where(entry_t.c.id == eid)).first() is None:
                return False
            key = (correction_t.c.entry_id == eid) & (correction_t.c.tag == tag)
            conn.execute(sa.delete(correction_t).where(key))
            conn.execute(
                sa.insert(correction_t).values(
                    entry_id=eid, tag=tag, added=added, editor=editor, created_at=now
                )
            )
            _set_tag(conn, eid, tag, EDITOR if added else None, now)
        return True

    def undo_correction(
        self, entry_id: str | int, tag: str, by_rules: Reason | None, now: datetime
    ) -> bool:
        """Drop the verdict on ``tag`` for an entry: the theme goes back to the rules, whose
        reason for it now is ``by_rules`` (None: they do not give it). False: no verdict."""
        eid = parse_id(entry_id)
        if eid is None:
            return False
        with self._write() as conn:
            lock_entries(conn, [eid])
            key = (correction_t.c.entry_id == eid) & (correction_t.c.tag == tag)
            if not conn.execute(sa.delete(correction_t).where(key)).rowcount:
                return False
            _set_tag(conn, eid, tag, by_rules, now)
        return True

    def corrections(
        self, entry_ids: Iterable[str | int] | None = None, *, limit: int | None = None
    ) -> list[Correction]:
        """Verdicts, newest first: of ``entry_ids`` (all when None), at most ``limit``."""
        query = (
            sa.select(correction_t, entry_t.c.title)
            .join(entry_t, entry_t.c.id == correction_t.c.entry_id)
            .order_by(correction_t.c.created_at.desc(), correction_t.c.entry_id.desc())
        )
        if entry_ids is not None:
            ids = [i for i in (parse_id(e) for e in entry_ids) if i is not None]
            query = query.where(correction_t.c.entry_id.in_(ids))
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [
                Correction(str(r.entry_id), r.tag, r.added, r.editor, r.created_at, r.title)
                for r in conn.execute(query)
            ]


def _set_tag(conn: sa.Connection, eid: int, tag: str, reason: Reason | None, now: datetime) -> None:
    """Make ``entry_tag`` say ``reason`` for one tag of one entry (None: not tagged), and
    record the change: outputs whose entries come and go with a theme get new validators."""
    conn.execute(sa.delete(tag_t).where(tag_t.c.entry_id == eid, tag_t.c.tag == tag))
    if reason is not None:
        conn.execute(sa.insert(tag_t), tag_rows(eid, {tag: reason}))
    write_meta(conn, RETAGGED_KEY, now.isoformat())
