"""Same-story clusters: ``entry.cluster_id`` is the id of the cluster's first entry
(NULL: not clustered yet, i.e. alone).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entry") as batch:
        batch.add_column(sa.Column("cluster_id", sa.Integer(), nullable=True))
    op.create_index("ix_entry_cluster", "entry", ["cluster_id", "published_at"])


def downgrade() -> None:
    op.drop_index("ix_entry_cluster", "entry")
    with op.batch_alter_table("entry") as batch:
        batch.drop_column("cluster_id")
