"""Sources without a feed: the IMAP messages already processed, per folder.

A message is known by ``(feed, mailbox, UIDVALIDITY, UID)``: UIDs are unique and never reused
within one UIDVALIDITY of one folder. When the server changes the folder's UIDVALIDITY (or the
referent points the feed at another folder), the rows remembered under the old one are
dropped and every message present is read again; the entries are not duplicated, since their
key (the Message-ID) is the same. A message that could not be read is remembered with its
error, so it is reported once and not retried on every update.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa

from veille.models import ProcessedMessage
from veille.store.base import StoreBase, in_chunks
from veille.store.tables import imap_message_t


class SourcesMixin(StoreBase):
    def known_messages(self, feed_id: str, mailbox: str, uidvalidity: int) -> dict[int, bool]:
        """The UIDs already processed in this folder under this UIDVALIDITY → read without
        error (True) or recorded as unreadable (False)."""
        t = imap_message_t
        query = sa.select(t.c.uid, t.c.error).where(
            t.c.feed_id == feed_id, t.c.mailbox == mailbox, t.c.uidvalidity == uidvalidity
        )
        with self.engine.connect() as conn:
            return {int(r.uid): r.error is None for r in conn.execute(query)}

    def remember_messages(
        self,
        feed_id: str,
        mailbox: str,
        uidvalidity: int,
        processed: Sequence[ProcessedMessage],
        *,
        now: datetime,
        forget: Iterable[int] = (),
    ) -> None:
        """Record processed messages (call it after their entries are saved). ``forget``: UIDs
        gone from the folder (moved, deleted), never to come back. Rows of another mailbox
        or UIDVALIDITY of this feed are dropped."""
        t = imap_message_t
        uids = [m.uid for m in processed]
        with self._write() as conn:
            conn.execute(
                sa.delete(t).where(
                    t.c.feed_id == feed_id,
                    sa.or_(t.c.mailbox != mailbox, t.c.uidvalidity != uidvalidity),
                )
            )
            stale = list(dict.fromkeys([*forget, *uids]))
            for chunk in in_chunks(stale):
                conn.execute(
                    sa.delete(t).where(
                        t.c.feed_id == feed_id,
                        t.c.mailbox == mailbox,
                        t.c.uidvalidity == uidvalidity,
                        t.c.uid.in_(chunk),
                    )
                )
            if processed:
                conn.execute(
                    sa.insert(t),
                    [
                        {
                            "feed_id": feed_id,
                            "mailbox": mailbox,
                            "uidvalidity": uidvalidity,
                            "uid": m.uid,
                            "key": m.key,
                            "error": m.error,
                            "processed_at": now,
                        }
                        for m in processed
                    ],
                )
