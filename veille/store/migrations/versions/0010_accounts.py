"""Accounts (readers and editors) and their reading state: what each one has read or
starred, stored only where it differs from the account's reading horizon.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("api_password_hash", sa.String(), nullable=True),
        sa.Column("feed_token", sa.String(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("secret_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_before", sa.DateTime(), nullable=False),
        sa.Column("last_visit_at", sa.DateTime(), nullable=True),
        sa.Column("previous_visit_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("feed_token"),
    )
    op.create_table(
        "entry_state",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=True),
        sa.Column("starred", sa.Boolean(), nullable=False),
        sa.Column("read_changed_at", sa.DateTime(), nullable=True),
        sa.Column("starred_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "entry_id"),
    )
    op.create_index(
        "ix_entry_state_starred",
        "entry_state",
        ["account_id", "starred_at"],
        sqlite_where=sa.text("starred"),
        postgresql_where=sa.text("starred"),
    )
    op.create_index("ix_entry_first_seen", "entry", ["first_seen_at"])


def downgrade() -> None:
    op.drop_index("ix_entry_first_seen", "entry")
    op.drop_index("ix_entry_state_starred", "entry_state")
    op.drop_table("entry_state")
    op.drop_table("account")
