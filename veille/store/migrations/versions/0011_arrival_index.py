"""Entries by arrival with their feed and date: ``ix_entry_arrival (first_seen_at, feed_id,
published_at)`` replaces ``ix_entry_first_seen``. A reader's unread entries by feed (the
Google Reader API's unread-count, asked at every sync) are then counted from the index
alone: through the table, each of the thousands of wide rows was read (BENCHMARKS.md,
« API Google Reader »).

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = ["first_seen_at", "feed_id", "published_at"]
    op.create_index("ix_entry_arrival", "entry", columns)
    op.drop_index("ix_entry_first_seen", "entry")


def downgrade() -> None:
    op.create_index("ix_entry_first_seen", "entry", ["first_seen_at"])
    op.drop_index("ix_entry_arrival", "entry")
