"""``veille db copy --to URL``: copy a database into another one (a school instance that
outgrows SQLite moves to PostgreSQL).

Idempotent and resumable: tables are copied in dependency order, in primary-key order, one
batch per transaction, rows already present in the target are skipped (``ON CONFLICT DO
NOTHING``) and each table resumes after the target's highest key. The full-text index is
rebuilt on the target from the copied entries (its structure differs per backend), and
PostgreSQL sequences are moved past the copied ids. ``arrival_day`` is not copied: the
target's own triggers write it as the entries and tags arrive (migration 0012).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from veille.rules.search import index_text
from veille.store.base import ID_AUTHORITY_KEY, StoreBase
from veille.store.fulltext import FTS_INSERT
from veille.store.tables import arrival_day_t, entry_t, metadata

COPY_BATCH = 1000


def _insert_ignoring_duplicates(table: sa.Table, dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


class CopyMixin(StoreBase):
    def copy_to(
        self,
        target: StoreBase,
        *,
        progress: Callable[[str, int], None] | None = None,
        max_batches: int | None = None,
    ) -> dict[str, int]:
        """Copy every table into ``target`` (migrated first); returns rows copied per table.
        ``max_batches`` stops early (tests of resumption)."""
        target.migrate()
        copied: dict[str, int] = {}
        batches = 0
        for table in metadata.sorted_tables:
            if table.name not in _existing_tables(self.engine) or table is arrival_day_t:
                continue  # arrival_day: the target's triggers write it as entries arrive
            key = list(table.primary_key.columns)
            order = key[0]
            start = _max(target.engine, order)
            copied[table.name] = 0
            while max_batches is None or batches < max_batches:
                query = sa.select(table).order_by(*key).limit(COPY_BATCH)
                if start is not None:
                    query = query.where(order >= start)  # >=: composite keys share a first part
                with self.engine.connect() as conn:
                    rows = [dict(r._mapping) for r in conn.execute(query)]
                if not rows:
                    break
                with target._write() as conn:
                    conn.execute(
                        _insert_ignoring_duplicates(table, target.engine.dialect.name), rows
                    )
                    if table is entry_t:
                        _index_copied(conn, rows)
                copied[table.name] += len(rows)
                batches += 1
                if progress:
                    progress(table.name, copied[table.name])
                last = rows[-1][order.name]
                if len(rows) < COPY_BATCH:
                    break
                start = last if len(key) > 1 else _successor(last)
                if len(key) > 1 and start == rows[0][order.name]:
                    break  # one key value fills a whole batch: cannot happen with our tables
        if target.engine.dialect.name == "postgresql":
            _reset_sequences(target.engine)
        # The entries keep their ids in subscribers' readers even if the target was started
        # (and recorded an authority of its own) before the copy.
        authority = self.get_meta(ID_AUTHORITY_KEY)
        if authority is not None and (max_batches is None or batches < max_batches):
            target.set_meta(ID_AUTHORITY_KEY, authority)
        return copied


def _existing_tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def _max(engine: sa.Engine, column: sa.Column[Any]) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.max(column))).scalar()


def _successor(value: Any) -> Any:
    """The smallest key after ``value`` for the ``>=`` resume condition."""
    if isinstance(value, int):
        return value + 1
    return value + "\x00"


def _index_copied(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    dialect = conn.dialect.name
    delete = (
        "DELETE FROM entry_fts WHERE rowid = :id"
        if dialect == "sqlite"
        else "DELETE FROM entry_search WHERE entry_id = :id"
    )
    conn.execute(sa.text(delete), [{"id": r["id"]} for r in rows])
    params = []
    for r in rows:
        text = index_text(
            r["title"],
            r["summary_html"],
            r["content_html"],
            r["author"],
            json.loads(r["categories"]),
        )
        params.append({"id": r["id"], "title": text.title, "body": text.body})
    conn.execute(FTS_INSERT[dialect], params)


def _reset_sequences(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            key = list(table.primary_key.columns)
            if len(key) == 1 and isinstance(key[0].type, sa.Integer):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key[0].name}'), "
                    f"COALESCE((SELECT max({key[0].name}) FROM {table.name}), 1))"
                )
