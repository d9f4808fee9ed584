"""« À la une »: the stories an editor dropped from a digest's top stories, and an index of
the copies that are not their story's first (the stories others relayed), by date.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "une_dropped",
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("editor", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("digest", "entry_id"),
    )
    op.create_index(
        "ix_entry_relayed",
        "entry",
        ["published_at", "cluster_id"],
        sqlite_where=sa.text("cluster_id <> id"),
        postgresql_where=sa.text("cluster_id <> id"),
    )


def downgrade() -> None:
    op.drop_index("ix_entry_relayed", "entry")
    op.drop_table("une_dropped")
