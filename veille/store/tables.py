"""Every table of the store, in one module. They never leave the store: callers get the frozen
dataclasses of models.py.

Every table is a SQLModel class, declared exactly as its migrations build it
(``tests/test_schema.py`` compares the two on SQLite and PostgreSQL); the store writes its
SQL with SQLAlchemy Core on their tables (``entry_t``, ``outbox_t``…, at the end). The one
exception, the full-text index, exists only in its migration (see the comment below).
Datetimes are stored as naive UTC (``UTCDateTime``) and come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; naive UTC on disk (sorts as text in SQLite)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _dt(**kw: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime, **kw)


class Feed(SQLModel, table=True):
    __tablename__ = "feed"

    id: str = Field(primary_key=True)
    url: str  # as configured in feeds.yaml
    fetch_url: str  # where we fetch it now (follows 301/308 and HTML discovery)
    title: str = ""  # the feed's own title; the configured title wins on display
    config_title: str | None = None
    site_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    status: str = "pending"  # ok | error | disabled | pending
    last_error: str | None = None
    error_count: int = 0
    entry_count: int = 0
    every_s: int = 1800
    in_config: bool = True
    last_fetched_at: datetime | None = _dt()
    last_success_at: datetime | None = _dt()
    next_fetch_at: datetime | None = _dt()


class Entry(SQLModel, table=True):
    __tablename__ = "entry"
    __table_args__ = (
        sa.UniqueConstraint("feed_id", "key", name="uq_entry_feed_key"),
        sa.Index("ix_entry_published", "published_at", "id"),
        sa.Index("ix_entry_feed_published", "feed_id", "published_at", "id"),
        sa.Index("ix_entry_feed_url", "feed_id", "url"),
        sa.Index("ix_entry_cluster", "cluster_id", "published_at"),
        # What arrived since a reader's horizon, by feed and date: unread counts from the index
        # alone (``store/reading.py``).
        sa.Index("ix_entry_arrival", "first_seen_at", "feed_id", "published_at"),
        # The copies that are not their story's first (a story others relayed), by date: the
        # few rows « À la une » starts from (``store/stories.py``), without reading the week.
        sa.Index(
            "ix_entry_relayed",
            "published_at",
            "cluster_id",
            sqlite_where=sa.text("cluster_id <> id"),
            postgresql_where=sa.text("cluster_id <> id"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    feed_id: str = Field(foreign_key="feed.id", ondelete="CASCADE")
    key: str
    guid: str | None = None
    url: str | None = None
    title: str = ""
    author: str | None = None
    summary_html: str = Field(default="", sa_type=sa.Text)
    content_html: str = Field(default="", sa_type=sa.Text)
    categories: str = Field(default="[]", sa_type=sa.Text)  # JSON list of plain-text categories
    content_hash: str = ""
    published_at: datetime = Field(sa_type=UTCDateTime)  # the publisher's date, else first seen
    date_missing: bool = False
    updated_at: datetime | None = _dt()
    first_seen_at: datetime = Field(sa_type=UTCDateTime)
    changed_at: datetime = Field(sa_type=UTCDateTime)
    cluster_id: int | None = None  # id of the first entry of its same-story cluster


class EntryTag(SQLModel, table=True):
    """One tag of one entry, with the reason the rules gave it (field and term)."""

    __tablename__ = "entry_tag"
    __table_args__ = (sa.Index("ix_entry_tag_tag", "tag", "entry_id"),)

    entry_id: int = Field(foreign_key="entry.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(primary_key=True)
    field: str
    term: str


class TagCorrection(SQLModel, table=True):
    """An editor's verdict on one theme of one entry, which wins over the rules: ``added``
    (the theme belongs to it) or not (it does not). Applied wherever the store writes an
    entry's tags (``store/tags.py``, ``corrected``), so ``entry_tag`` always holds it."""

    __tablename__ = "tag_correction"

    entry_id: int = Field(foreign_key="entry.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(primary_key=True)
    added: bool
    editor: str  # the name the editor gave at login, or the API client's
    created_at: datetime = Field(sa_type=UTCDateTime)


class Meta(SQLModel, table=True):
    """Store-wide facts, e.g. the fingerprint of the rules the entries were tagged with."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True)
    value: str


class ArrivalDay(SQLModel, table=True):
    """A version per day of arrival (``first_seen_at``, UTC, ``YYYY-MM-DD``), increased by the
    database's own triggers (migration 0012) in every transaction that inserts, deletes or
    changes an entry that arrived that day (its feed, dates or tags): the unread counts of
    that day's arrivals are cached under it (``store/arrivals.py``). Every day that saw an
    arrival has its row."""

    __tablename__ = "arrival_day"

    day: str = Field(primary_key=True)
    version: int = 0


# --- mail and curation ---------------------------------------------------------------------


class MailIssue(SQLModel, table=True):
    """A numbered letter of a digest: allocated once per period, with its archived rendering
    and the JSON snapshot every recipient's message is rendered from."""

    __tablename__ = "mail_issue"
    __table_args__ = (sa.UniqueConstraint("digest", "period", name="uq_mail_issue_period"),)

    digest: str = Field(primary_key=True)
    number: int = Field(primary_key=True)
    period: str
    period_start: datetime = Field(sa_type=UTCDateTime)
    period_end: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    subject: str
    html: str = Field(sa_type=sa.Text)
    text: str = Field(sa_type=sa.Text)
    content: str = Field(sa_type=sa.Text)


class OutboxRow(SQLModel):
    """Where the delivery of an outbox row stands (``store/outbox.py``): the columns every
    outbox table has."""

    status: str  # pending | sending | sent | failed | unknown | skipped
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = _dt()
    claimed_by: str | None = None
    claimed_at: datetime | None = _dt()
    sent_at: datetime | None = _dt()


class MailOutbox(OutboxRow, table=True):
    """One message of an issue to one recipient, and where its delivery stands."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["digest", "number"], ["mail_issue.digest", "mail_issue.number"], ondelete="CASCADE"
        ),
        sa.UniqueConstraint("digest", "number", "recipient", name="uq_mail_outbox_recipient"),
        sa.Index("ix_mail_outbox_status", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    digest: str
    number: int
    recipient: str
    message_id: str


class MailUnsubscribe(SQLModel, table=True):
    __tablename__ = "mail_unsubscribe"

    digest: str = Field(primary_key=True)
    address: str = Field(primary_key=True)  # lower-case
    created_at: datetime = Field(sa_type=UTCDateTime)


class MailHighlight(SQLModel, table=True):
    """An editor's pick, with a one-line note; ``issue_number`` NULL: waiting for the next."""

    __tablename__ = "mail_highlight"

    digest: str = Field(primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", primary_key=True, ondelete="CASCADE")
    note: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    issue_number: int | None = None


class MailHidden(SQLModel, table=True):
    """An entry (and its story) an editor hid from every output of a digest."""

    __tablename__ = "mail_hidden"

    digest: str = Field(primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", primary_key=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_type=UTCDateTime)


class MailReviewed(SQLModel, table=True):
    """An entry an editor has gone through while preparing a digest (« déjà vu »)."""

    __tablename__ = "mail_reviewed"

    digest: str = Field(primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", primary_key=True, ondelete="CASCADE")
    editor: str
    reviewed_at: datetime = Field(sa_type=UTCDateTime)


class MailIntro(SQLModel, table=True):
    """The introduction an editor wrote for issue ``number``."""

    __tablename__ = "mail_intro"

    digest: str = Field(primary_key=True)
    number: int = Field(primary_key=True)
    text: str = Field(sa_type=sa.Text)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class UneDropped(SQLModel, table=True):
    """A story an editor dropped from « À la une » of a digest, by the entry shown for it
    (its story is read at each ranking): it goes back to its section."""

    __tablename__ = "une_dropped"

    digest: str = Field(primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", primary_key=True, ondelete="CASCADE")
    editor: str
    created_at: datetime = Field(sa_type=UTCDateTime)


# --- notifications -------------------------------------------------------------------------


class NotifyOutbox(OutboxRow, table=True):
    """One announcement of a digest's event (an issue, a day) to one target (a Matrix room,
    a webhook), rendered once when queued, and where its delivery stands."""

    __tablename__ = "notify_outbox"
    __table_args__ = (
        sa.UniqueConstraint("digest", "target", "event", name="uq_notify_outbox_event"),
        sa.Index("ix_notify_outbox_status", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    digest: str
    target: str  # NotifyTarget.key: what is sent where, never a secret
    kind: str  # matrix | webhook
    destination: str  # shown by ``veille notify status``: the room, or the webhook's host
    event: str  # "issue:12", "daily:2026-11-30"
    txn_id: str  # the Matrix transaction id, or the webhook's delivery id: same on every try
    payload: str = Field(sa_type=sa.Text)  # the JSON sent
    created_at: datetime = Field(sa_type=UTCDateTime)
    remote_id: str | None = None  # the Matrix event id


# --- sources without a feed ----------------------------------------------------------------


class ImapMessage(SQLModel, table=True):
    """An IMAP message already processed (``error``: it could not be read)."""

    __tablename__ = "imap_message"

    feed_id: str = Field(foreign_key="feed.id", primary_key=True, ondelete="CASCADE")
    mailbox: str = Field(primary_key=True)  # the feed's imap(s):// URL
    uidvalidity: int = Field(sa_type=sa.BigInteger, primary_key=True)  # 32-bit unsigned in IMAP
    uid: int = Field(sa_type=sa.BigInteger, primary_key=True)
    key: str | None = None
    error: str | None = None
    processed_at: datetime = Field(sa_type=UTCDateTime)


# --- accounts and their reading state --------------------------------------------------------


class AccountRow(SQLModel, table=True):
    """A person who logs in (``models.Account``). Secrets are argon2id hashes
    (``veille.passwords``); ``secret_version`` goes up whenever a secret changes or the
    account is disabled, which ends its web sessions and API tokens (they carry it)."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)  # the login, lower-case
    display_name: str = ""
    role: str  # lecteur | editeur
    password_hash: str | None = None  # the web password
    api_password_hash: str | None = None  # the API clients' password (Google Reader)
    feed_token: str = Field(unique=True)  # in the URLs of its private output feeds
    disabled: bool = False
    secret_version: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    read_before: datetime = Field(sa_type=UTCDateTime)  # the reading horizon
    last_visit_at: datetime | None = _dt()  # the last page view
    previous_visit_at: datetime | None = _dt()  # the end of the visit before this one


class EntryState(SQLModel, table=True):
    """An account's state of one entry when it differs from the default: ``read`` NULL means
    "as the horizon says" (``account.read_before``), so most entries have no row at all."""

    __tablename__ = "entry_state"
    __table_args__ = (
        sa.Index(
            "ix_entry_state_starred",
            "account_id",
            "starred_at",
            sqlite_where=sa.text("starred"),
            postgresql_where=sa.text("starred"),
        ),
    )

    account_id: int = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    entry_id: int = Field(foreign_key="entry.id", primary_key=True, ondelete="CASCADE")
    read: bool | None = None
    starred: bool = False
    read_changed_at: datetime | None = _dt()
    starred_at: datetime | None = _dt()


# Not here: the full-text index (migration 0003) is an FTS5 virtual table on SQLite and a
# tsvector table on PostgreSQL, which one dialect-neutral metadata cannot declare.


# Every table above: Alembic's target and what ``db copy`` walks (SQLModel keeps one registry).
metadata = SQLModel.metadata


def _core(model: type[SQLModel]) -> sa.Table:
    """The table of a table class: the store writes its SQL with SQLAlchemy Core."""
    return model.__table__  # type: ignore[attr-defined, no-any-return]


feed_t = _core(Feed)
entry_t = _core(Entry)
tag_t = _core(EntryTag)
correction_t = _core(TagCorrection)
meta_t = _core(Meta)
arrival_day_t = _core(ArrivalDay)
issue_t = _core(MailIssue)
outbox_t = _core(MailOutbox)
unsubscribe_t = _core(MailUnsubscribe)
highlight_t = _core(MailHighlight)
hidden_t = _core(MailHidden)
reviewed_t = _core(MailReviewed)
intro_t = _core(MailIntro)
une_dropped_t = _core(UneDropped)
imap_message_t = _core(ImapMessage)
notify_t = _core(NotifyOutbox)
account_t = _core(AccountRow)
state_t = _core(EntryState)
