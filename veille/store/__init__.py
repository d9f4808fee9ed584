"""The store: the only owner of SQL. Callers get frozen dataclasses; no Session leaves it.

Methods are grouped by noun, one module each: schema and facts (``base``: ``migrate``,
``get_meta``), feeds (``feeds``: ``sync_feeds``, ``feed_states``, ``targets``,
``record_*``), entries (``entries``: ``save_entries``, ``list_entries``, ``get_entry``) and
tags (``tags``: ``retag``, ``tag_counts``, ``tag_reasons``), editors' corrections of
themes (``corrections``: ``correct_tag``, ``undo_correction``, ``corrections``), the e-mail
issues and their outbox (``mail``), the notification outbox (``notify``), same-story clusters
(``clusters``: ``cluster_pending``), the stories of a period with their copies (``stories``:
``story_copies``, what « À la une » ranks), the IMAP messages already read (``sources``:
``known_messages``, ``remember_messages``), accounts (``accounts``: ``add_account``,
``credentials``, ``record_visit``) and what each one read or starred (``reading``: ``mark``,
``mark_all_read``, ``unread_counts``; the rule in ``states``).

Durability rules : a feed's entries are committed (in batches, each its own
transaction) *before* its validators (ETag/Last-Modified) are recorded, so a crash costs a
refetch, never an entry. A fetch never deletes entries.
"""

from __future__ import annotations

from veille.store.accounts import AccountsMixin
from veille.store.clusters import ClustersMixin
from veille.store.copy import CopyMixin
from veille.store.corrections import Correction, CorrectionsMixin
from veille.store.entries import EntriesMixin
from veille.store.feeds import FeedsMixin, FetchSuccess
from veille.store.lock import LockMixin
from veille.store.mail import MailMixin
from veille.store.notify import NotifyMixin
from veille.store.reading import ReadingMixin
from veille.store.selecting import decode_cursor, encode_cursor
from veille.store.sources import SourcesMixin
from veille.store.stories import StoriesMixin
from veille.store.tags import TagsMixin

__all__ = ["Correction", "FetchSuccess", "Store", "decode_cursor", "encode_cursor"]


class Store(
    FeedsMixin,
    EntriesMixin,
    TagsMixin,
    CorrectionsMixin,
    ClustersMixin,
    StoriesMixin,
    MailMixin,
    NotifyMixin,
    SourcesMixin,
    LockMixin,
    CopyMixin,
    AccountsMixin,
    ReadingMixin,
):
    """The database of one deployment: ``Store(url)``, then ``migrate()`` once."""
