"""Stores for tests: an empty PostgreSQL schema (``postgres_schema()``), and migrated ones
reused from test to test (``PostgresSchemas``, behind the ``store`` fixtures of conftest.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from veille.store import Store

POSTGRES_URL = os.environ.get("VEILLE_TEST_POSTGRES_URL", "")
NO_POSTGRES = (
    "PostgreSQL absent : définissez VEILLE_TEST_POSTGRES_URL "
    "(ex. postgresql+psycopg://postgres@127.0.0.1:5432/test) pour tester ce moteur"
)


def _schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh empty schema in the test PostgreSQL database; yields a URL whose search_path is
    it. Dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield _schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


class PostgresSchemas:
    """Migrated PostgreSQL schemas, reused from test to test: a fresh one costs ~0.4 s (CREATE
    SCHEMA, every Alembic revision, DROP), emptying a used one a few ms. Emptied means as just
    migrated: every row deleted, the rows the migrations wrote put back, every sequence
    restarted. Each schema serves one store at a time; all are dropped at the end."""

    def __init__(self) -> None:
        self.admin = sa.create_engine(POSTGRES_URL)
        self.free: list[tuple[str, sa.MetaData, dict[str, list[dict[str, Any]]]]] = []
        self.made: list[str] = []

    @contextmanager
    def store(self) -> Iterator[Store]:
        if self.free:
            schema, tables, seeded = self.free.pop()
            self._empty(schema, tables, seeded)
        else:
            schema, tables, seeded = self._create()
        s = Store(_schema_url(schema))
        try:
            yield s
        finally:
            s.close()
            self.free.append((schema, tables, seeded))

    def _create(self) -> tuple[str, sa.MetaData, dict[str, list[dict[str, Any]]]]:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        self.made.append(schema)
        migrated = Store(_schema_url(schema))
        migrated.migrate()
        migrated.close()
        tables = sa.MetaData(schema=schema)
        with self.admin.connect() as conn:
            tables.reflect(conn)
            seeded = {
                t.name: [dict(r._mapping) for r in conn.execute(sa.select(t))]
                for t in tables.sorted_tables
            }
        return schema, tables, {name: rows for name, rows in seeded.items() if rows}

    def _empty(
        self, schema: str, tables: sa.MetaData, seeded: dict[str, list[dict[str, Any]]]
    ) -> None:
        with self.admin.begin() as conn:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")  # a store left open: say so
            # No triggers: deleting the entries would write ``arrival_day`` rows again.
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for table in reversed(tables.sorted_tables):  # children before parents
                conn.execute(table.delete())
            for table in tables.sorted_tables:
                if table.name in seeded:
                    conn.execute(table.insert(), seeded[table.name])
            sequences = conn.execute(
                sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = :s"),
                {"s": schema},
            ).scalars()
            for name in list(sequences):
                conn.exec_driver_sql(f'ALTER SEQUENCE {schema}."{name}" RESTART')

    def close(self) -> None:
        with self.admin.begin() as conn:
            for schema in self.made:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        self.admin.dispose()
