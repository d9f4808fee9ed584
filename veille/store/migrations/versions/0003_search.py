"""Full-text search: an FTS5 table over French-normalised text (SQLite), filled from the
entries already stored.

The indexed text is computed by ``veille.search.index_text`` (accents folded, elisions split,
light plural stemming), so search semantics live in one place. PostgreSQL gets its own
search structure in a later migration (issue 8).

Revision ID: 0003
Revises: 0002
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from veille.search import FTS_PREFIX, FTS_TOKENIZE, index_text

    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE entry_fts USING fts5(title, body, "
        f"tokenize = '{FTS_TOKENIZE}', prefix = '{FTS_PREFIX}')"
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
            sa.text("INSERT INTO entry_fts(rowid, title, body) VALUES (:id, :title, :body)"),
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
