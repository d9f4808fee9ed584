"""The tables module is the schema the migrations build, on both backends.

Alembic's autogenerate comparison reads a freshly migrated database (a SQLite file, a
PostgreSQL schema) and the tables module's ``metadata``: columns, types, nullability,
server defaults, indexes, unique constraints and foreign keys (with ``ON DELETE``) must
agree; primary keys, which autogenerate does not compare, are compared here. A column changed in
``veille/store/tables.py`` without its migration fails this test.

Left out, on purpose: the full-text index (migration 0003), whose table differs per backend
(an FTS5 virtual table and its shadow tables on SQLite, a ``tsvector`` table on
PostgreSQL), so one dialect-neutral metadata cannot declare it; the store reaches it with
SQL text (``store/entries.py``, ``FTS_INSERT``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.stores import postgres_schema
from veille.store import Store
from veille.store.tables import metadata

FULL_TEXT = {
    "sqlite": {
        "entry_fts",
        "entry_fts_config",
        "entry_fts_content",
        "entry_fts_data",
        "entry_fts_docsize",
        "entry_fts_idx",
    },
    "postgresql": {"entry_search"},
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """A database built by the migrations alone, once per backend for the whole module."""
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path_factory.mktemp('schema') / 'veille.db'}")
        store.migrate()
        yield store.engine
        store.close()
        return
    with postgres_schema() as url:
        store = Store(url)
        store.migrate()
        yield store.engine
        store.close()


def schema_diff(engine: sa.Engine, tables: sa.MetaData) -> list[Any]:
    """What Alembic would write in a new migration to bring the database to ``tables``,
    plus primary keys that differ (column lists, in order)."""
    ignored = FULL_TEXT[engine.dialect.name]

    def include_name(name: str | None, type_: str, parents: dict[str, str | None]) -> bool:
        return not (type_ == "table" and name in ignored)

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": include_name,
            },
        )
        diff: list[Any] = list(compare_metadata(context, tables))
        inspector = sa.inspect(conn)
        for table in tables.sorted_tables:
            if not inspector.has_table(table.name):
                continue  # reported by compare_metadata as a table to add
            reflected = inspector.get_pk_constraint(table.name)["constrained_columns"]
            declared = [c.name for c in table.primary_key.columns]
            if reflected != declared:
                diff.append(("primary_key", table.name, reflected, declared))
    return diff


def test_tables_module_is_what_the_migrations_build(migrated: sa.Engine) -> None:
    assert schema_diff(migrated, metadata) == []


def test_the_full_text_tables_left_out_exist(migrated: sa.Engine) -> None:
    """The tables the comparison ignores are really there (and nothing else is ignored)."""
    names = set(sa.inspect(migrated).get_table_names())
    assert FULL_TEXT[migrated.dialect.name] <= names
    assert not FULL_TEXT[migrated.dialect.name] & set(metadata.tables)


def _copy() -> sa.MetaData:
    copy = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


def _nullable(m: sa.MetaData) -> None:
    m.tables["mail_outbox"].c.last_error.nullable = False


def _type(m: sa.MetaData) -> None:
    m.tables["mail_issue"].c.subject.type = sa.Integer()


def _new_column(m: sa.MetaData) -> None:
    m.tables["mail_hidden"].append_column(sa.Column("note", sa.String(), nullable=True))


def _index(m: sa.MetaData) -> None:
    table = m.tables["mail_outbox"]
    table.indexes.discard(next(i for i in table.indexes if i.name == "ix_mail_outbox_status"))


def _unique(m: sa.MetaData) -> None:
    table = m.tables["mail_issue"]
    unique = next(c for c in table.constraints if c.name == "uq_mail_issue_period")
    table.constraints.discard(unique)


def _ondelete(m: sa.MetaData) -> None:
    table = m.tables["imap_message"]
    next(iter(table.c.feed_id.foreign_keys)).constraint.ondelete = None  # type: ignore[union-attr]


def _primary_key(m: sa.MetaData) -> None:
    table = m.tables["mail_intro"]
    table.c.number.primary_key = False
    table.primary_key = sa.PrimaryKeyConstraint(table.c.digest)  # type: ignore[misc]


def _server_default(m: sa.MetaData) -> None:
    m.tables["mail_outbox"].c.attempts.server_default = sa.DefaultClause("0")


@pytest.mark.parametrize(
    "change",
    [_nullable, _type, _new_column, _index, _unique, _ondelete, _primary_key, _server_default],
)
def test_a_table_changed_without_a_migration_is_caught(
    migrated: sa.Engine, change: Callable[[sa.MetaData], None]
) -> None:
    copy = _copy()
    assert schema_diff(migrated, copy) == []  # the copy itself is faithful
    change(copy)
    assert schema_diff(migrated, copy) != []
