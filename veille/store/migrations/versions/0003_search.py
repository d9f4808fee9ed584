"""Full-text search over French-normalised text, filled from the entries already stored.

The indexed text is computed by ``veille.rules.search.index_text`` (accents folded, elisions split,
light plural stemming), so search semantics live in one place and are the same on both
backends: SQLite gets an FTS5 table ``entry_fts`` (rowid = entry id); PostgreSQL a table
``entry_search`` with a ``tsvector`` built with the ``simple`` configuration over that
already-normalised text (title weighted A, body B) and a GIN index.

Revision ID: 0003
Revises: 0002
"""

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from veille.rules.search import FTS_PREFIX, FTS_TOKENIZE, index_text

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE entry_fts USING fts5(title, body, "
            f"tokenize = '{FTS_TOKENIZE}', prefix = '{FTS_PREFIX}')"
        )
        insert = "INSERT INTO entry_fts(rowid, title, body) VALUES (:id, :title, :body)"
    else:
        op.create_table(
            "entry_search",
            sa.Column("entry_id", sa.Integer(), nullable=False),
            sa.Column("document", TSVECTOR(), nullable=False),
            sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("entry_id"),
        )
        op.create_index(
            "ix_entry_search_document", "entry_search", ["document"], postgresql_using="gin"
        )
        insert = (
            "INSERT INTO entry_search(entry_id, document) VALUES (:id, "
            "setweight(to_tsvector('simple', :title), 'A') || "
            "setweight(to_tsvector('simple', :body), 'B'))"
        )
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, title, summary_html, content_html, author, categories FROM entry "
                "WHERE id > :last ORDER BY id LIMIT 1000"
            ),
            {"last": last},
        ).all()
        if not rows:
            break
        bind.execute(
            sa.text(insert),
            [
                {"id": r.id, "title": t.title, "body": t.body}
                for r in rows
                for t in [
                    index_text(
                        r.title, r.summary_html, r.content_html, r.author, json.loads(r.categories)
                    )
                ]
            ],
        )
        last = rows[-1].id


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE entry_fts")
    else:
        op.drop_table("entry_search")
