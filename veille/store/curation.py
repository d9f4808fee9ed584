"""Editors' curation of the e-mailed digests: highlights ("coups de cœur") with a
one-line note, entries hidden from a digest, entries already gone through (« vu »), the
introduction of an issue — and the unsubscribed addresses.

A highlight waits for the next issue (``issue_number`` NULL) and is attached to the issue
that carries it; an introduction is written for an issue number (the next one, in practice).
Entry ids are strings outside the store, like everywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from veille.limits import parse_id
from veille.store.base import StoreBase, curation_key, write_meta
from veille.store.tables import (
    entry_t,
    hidden_t,
    highlight_t,
    intro_t,
    meta_t,
    reviewed_t,
    unsubscribe_t,
)

REVOKED = "revoked_session:"  # meta keys of ended curation sessions (value: their expiry)


@dataclass(frozen=True, slots=True)
class Highlight:
    entry_id: str
    note: str
    created_at: datetime
    issue_number: int | None = None  # None: waiting for the next issue


def _entry_id(entry_id: str | int) -> int | None:
    return parse_id(entry_id)


def _unhide(conn: sa.Connection, digest: str, eid: int, now: datetime) -> bool:
    key = (hidden_t.c.digest == digest) & (hidden_t.c.entry_id == eid)
    if not conn.execute(sa.delete(hidden_t).where(key)).rowcount:
        return False
    write_meta(conn, curation_key(digest), now.isoformat())  # outputs change: new validators
    return True


class CurationMixin(StoreBase):
    def entry_exists(self, entry_id: str | int) -> bool:
        eid = _entry_id(entry_id)
        if eid is None:
            return False
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(entry_t.c.id).where(entry_t.c.id == eid)).first()
        return found is not None

    # --- highlights ----------------------------------------------------------------------

    def set_highlight(self, digest: str, entry_id: str | int, note: str, now: datetime) -> bool:
        """Highlight an entry for the next issue (or change its note); an editor who picks an
        entry wants it shown, so it is no longer hidden. False: unknown entry."""
        eid = _entry_id(entry_id)
        if eid is None or not self.entry_exists(eid):
            return False
        key = (highlight_t.c.digest == digest) & (highlight_t.c.entry_id == eid)
        with self._write() as conn:
            _unhide(conn, digest, eid, now)
            done = conn.execute(sa.update(highlight_t).where(key).values(note=note)).rowcount
            if not done:
                conn.execute(
                    sa.insert(highlight_t).values(
                        digest=digest, entry_id=eid, note=note, created_at=now
                    )
                )
        return True

    def remove_highlight(self, digest: str, entry_id: str | int) -> bool:
        eid = _entry_id(entry_id)
        key = (highlight_t.c.digest == digest) & (highlight_t.c.entry_id == eid)
        with self._write() as conn:
            return bool(conn.execute(sa.delete(highlight_t).where(key)).rowcount)

    def highlights(self, digest: str, *, issue_number: int | None = None) -> list[Highlight]:
        """The highlights waiting for the next issue, or those carried by ``issue_number``;
        oldest first (the editor's order)."""
        number = highlight_t.c.issue_number
        query = (
            sa.select(highlight_t)
            .where(highlight_t.c.digest == digest)
            .where(number.is_(None) if issue_number is None else number == issue_number)
            .order_by(highlight_t.c.created_at, highlight_t.c.entry_id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Highlight(str(r.entry_id), r.note, r.created_at, r.issue_number) for r in rows]

    # --- hidden entries ------------------------------------------------------------------

    def hide_entry(self, digest: str, entry_id: str | int, now: datetime) -> bool:
        """Hide an entry and its story from every output of a digest (``Selection.hidden_from``:
        pages, output feeds, e-mail); a highlight of it waiting for the next issue is dropped,
        so a hidden story never comes back through the highlights. False: unknown entry."""
        eid = _entry_id(entry_id)
        if eid is None or not self.entry_exists(eid):
            return False
        with self._write() as conn:
            exists = conn.execute(
                sa.select(hidden_t.c.entry_id).where(
                    hidden_t.c.digest == digest, hidden_t.c.entry_id == eid
                )
            ).first()
            if exists is None:
                conn.execute(
                    sa.insert(hidden_t).values(digest=digest, entry_id=eid, created_at=now)
                )
                write_meta(conn, curation_key(digest), now.isoformat())
            conn.execute(
                sa.delete(highlight_t).where(
                    highlight_t.c.digest == digest,
                    highlight_t.c.entry_id == eid,
                    highlight_t.c.issue_number.is_(None),
                )
            )
        return True

    def unhide_entry(self, digest: str, entry_id: str | int, now: datetime) -> bool:
        eid = _entry_id(entry_id)
        if eid is None:
            return False
        with self._write() as conn:
            return _unhide(conn, digest, eid, now)

    def hidden_entries(self, digest: str) -> frozenset[str]:
        query = sa.select(hidden_t.c.entry_id).where(hidden_t.c.digest == digest)
        with self.engine.connect() as conn:
            return frozenset(str(r) for r in conn.execute(query).scalars())

    # --- entries gone through -------------------------------------------------------------

    def mark_reviewed(
        self, digest: str, entry_ids: Iterable[str | int], editor: str, now: datetime
    ) -> int:
        """Record that an editor went through these entries for ``digest`` (unknown ids and
        entries already marked are left as they are); returns how many were marked now."""
        ids = {i for i in (_entry_id(e) for e in entry_ids) if i is not None}
        if not ids:
            return 0
        with self._write() as conn:
            known = set(
                conn.execute(sa.select(entry_t.c.id).where(entry_t.c.id.in_(ids))).scalars()
            )
            seen = set(
                conn.execute(
                    sa.select(reviewed_t.c.entry_id).where(
                        reviewed_t.c.digest == digest, reviewed_t.c.entry_id.in_(known)
                    )
                ).scalars()
            )
            fresh = [
                {"digest": digest, "entry_id": i, "editor": editor, "reviewed_at": now}
                for i in sorted(known - seen)
            ]
            if fresh:
                conn.execute(sa.insert(reviewed_t), fresh)
        return len(fresh)

    def reviewed_entries(self, digest: str) -> frozenset[str]:
        query = sa.select(reviewed_t.c.entry_id).where(reviewed_t.c.digest == digest)
        with self.engine.connect() as conn:
            return frozenset(str(r) for r in conn.execute(query).scalars())

    # --- introductions -------------------------------------------------------------------

    def set_introduction(self, digest: str, number: int, text: str, now: datetime) -> None:
        """The introduction of issue ``number`` (an empty text removes it)."""
        key = (intro_t.c.digest == digest) & (intro_t.c.number == number)
        with self._write() as conn:
            conn.execute(sa.delete(intro_t).where(key))
            if text.strip():
                conn.execute(
                    sa.insert(intro_t).values(
                        digest=digest, number=number, text=text.strip(), updated_at=now
                    )
                )

    def introduction(self, digest: str, number: int) -> str:
        query = sa.select(intro_t.c.text).where(
            intro_t.c.digest == digest, intro_t.c.number == number
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar() or ""

    # --- curation sessions ----------------------------------------------------------------

    def revoke_session(self, session_id: str, until: datetime, now: datetime) -> None:
        """End a curation session for good (logout): its cookie, even copied, no longer
        opens anything until it would have expired. Expired revocations are dropped."""
        with self._write() as conn:
            conn.execute(
                sa.delete(meta_t).where(
                    meta_t.c.key.like(f"{REVOKED}%"), meta_t.c.value < now.isoformat()
                )
            )
            write_meta(conn, REVOKED + session_id, until.isoformat())

    def session_revoked(self, session_id: str) -> bool:
        return self.get_meta(REVOKED + session_id) is not None

    # --- unsubscriptions -----------------------------------------------------------------

    def unsubscribe(self, digest: str, address: str, now: datetime) -> bool:
        """Record that ``address`` wants no more issues of ``digest``; False if it was already
        recorded (unsubscribing twice is not an error)."""
        address = address.strip().lower()
        with self._write() as conn:
            exists = conn.execute(
                sa.select(unsubscribe_t.c.address).where(
                    unsubscribe_t.c.digest == digest, unsubscribe_t.c.address == address
                )
            ).first()
            if exists is not None:
                return False
            conn.execute(
                sa.insert(unsubscribe_t).values(digest=digest, address=address, created_at=now)
            )
        return True

    def unsubscribed(self, digest: str) -> frozenset[str]:
        query = sa.select(unsubscribe_t.c.address).where(unsubscribe_t.c.digest == digest)
        with self.engine.connect() as conn:
            return frozenset(conn.execute(query).scalars())
