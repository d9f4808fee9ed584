"""Every table of the store, in one module. They never leave the store: callers get the frozen
dataclasses of models.py.

The core tables (feeds, entries, tags, facts) are SQLModel classes. The mail, curation and
IMAP tables are plain SQLAlchemy ``Table`` objects on the same metadata (composite keys and
multi-column foreign keys with ``ON DELETE``, written as they are migrated); the full-text
indexes (FTS5 on SQLite, a ``tsvector`` table on PostgreSQL) exist only in their migration.
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
    )

    id: int | None = Field(default=None, primary_key=True)
    feed_id: str = Field(foreign_key="feed.id", ondelete="CASCADE")
    key: str
    guid: str | None = None
    url: str | None = None
    title: str = ""
    author: str | None = None
    summary_html: str = ""
    content_html: str = ""
    categories: str = "[]"  # JSON list of plain-text categories
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


class Meta(SQLModel, table=True):
    """Store-wide facts, e.g. the fingerprint of the rules the entries were tagged with."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True)
    value: str


# --- mail, curation and IMAP: plain tables on the same metadata ----------------------------

highlight_t = sa.Table(
    "mail_highlight",
    SQLModel.metadata,
    sa.Column("digest", sa.String(), primary_key=True),
    sa.Column(
        "entry_id", sa.Integer(), sa.ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("note", sa.String(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("issue_number", sa.Integer(), nullable=True),
)
hidden_t = sa.Table(
    "mail_hidden",
    SQLModel.metadata,
    sa.Column("digest", sa.String(), primary_key=True),
    sa.Column(
        "entry_id", sa.Integer(), sa.ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)
intro_t = sa.Table(
    "mail_intro",
    SQLModel.metadata,
    sa.Column("digest", sa.String(), primary_key=True),
    sa.Column("number", sa.Integer(), primary_key=True),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
unsubscribe_t = sa.Table(
    "mail_unsubscribe",
    SQLModel.metadata,
    sa.Column("digest", sa.String(), primary_key=True),
    sa.Column("address", sa.String(), primary_key=True),  # lower-case
    sa.Column("created_at", UTCDateTime(), nullable=False),
)
issue_t = sa.Table(
    "mail_issue",
    SQLModel.metadata,
    sa.Column("digest", sa.String(), primary_key=True),
    sa.Column("number", sa.Integer(), primary_key=True),
    sa.Column("period", sa.String(), nullable=False),
    sa.Column("period_start", UTCDateTime(), nullable=False),
    sa.Column("period_end", UTCDateTime(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("subject", sa.String(), nullable=False),
    sa.Column("html", sa.Text(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("content", sa.Text(), nullable=False),
    sa.UniqueConstraint("digest", "period", name="uq_mail_issue_period"),
)
outbox_t = sa.Table(
    "mail_outbox",
    SQLModel.metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("digest", sa.String(), nullable=False),
    sa.Column("number", sa.Integer(), nullable=False),
    sa.Column("recipient", sa.String(), nullable=False),
    sa.Column("message_id", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, default=0),
    sa.Column("last_error", sa.String(), nullable=True),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
    sa.Column("claimed_by", sa.String(), nullable=True),
    sa.Column("claimed_at", UTCDateTime(), nullable=True),
    sa.Column("sent_at", UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(
        ["digest", "number"], ["mail_issue.digest", "mail_issue.number"], ondelete="CASCADE"
    ),
    sa.UniqueConstraint("digest", "number", "recipient", name="uq_mail_outbox_recipient"),
    sa.Index("ix_mail_outbox_status", "status", "next_attempt_at"),
)
imap_message_t = sa.Table(
    "imap_message",
    SQLModel.metadata,
    sa.Column(
        "feed_id", sa.String(), sa.ForeignKey("feed.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("mailbox", sa.String(), primary_key=True),  # the feed's imap(s):// URL
    sa.Column("uidvalidity", sa.BigInteger(), primary_key=True),  # 32-bit unsigned in IMAP
    sa.Column("uid", sa.BigInteger(), primary_key=True),
    sa.Column("key", sa.String(), nullable=True),
    sa.Column("error", sa.String(), nullable=True),
    sa.Column("processed_at", UTCDateTime(), nullable=False),
)
