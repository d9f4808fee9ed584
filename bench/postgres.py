"""The largest cached SQLite store loaded into PostgreSQL (127.0.0.1:5432 only), for the same
read scenarios on both backends.

The load is a bulk copy that gives the rows ``Store.copy_to`` would give, much faster:

1. a fresh database (``veille_bench_<entries>``) migrated by ``Store.migrate()``; its
   secondary indexes (and the ``(feed_id, key)`` unique constraint) are dropped for the load
   and rebuilt after;
2. every table the SQLite store has is streamed with ``COPY … FROM STDIN``, foreign-key
   triggers off (``session_replication_role = replica``: the rows come from a consistent
   store), TOAST compression lz4;
3. the search rows are computed **in SQL** from the SQLite ``entry_fts`` title/body columns,
   which hold exactly the normalised text ``search.index_text`` produced:
   ``setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body),
   'B')``, i.e. what ``FTS_INSERT['postgresql']`` stores (staging table, 2 connections);
4. indexes rebuilt (GIN and B-trees in parallel), sequences moved past the ids,
   ``VACUUM (ANALYZE)`` (the visibility map lets PostgreSQL use index-only scans, as
   autovacuum would after a while).

A marker table ``bench_corpus`` records which store (corpus version, anchor, size) the
database holds and how long its load took: later runs reuse it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlmodel import SQLModel

from veille.store import Store

HOST, PORT, USER = "127.0.0.1", 5432, "postgres"  # never anything but the loopback


def dbname(entries: int) -> str:
    """One database per store size: a quick run never drops the full run's database."""
    return f"veille_bench_{entries}"


def url(db: str) -> str:
    return f"postgresql+psycopg://{USER}@{HOST}:{PORT}/{db}"


SKIP_TABLES = {"alembic_version", "meta"}  # written by migrate / copied below
LOADED_TABLES = ("entry", "entry_tag", "entry_search")  # indexes rebuilt after the load


def _connect(dbname: str, **kwargs: Any) -> psycopg.Connection:
    return psycopg.connect(
        host=HOST, port=PORT, user=USER, dbname=dbname, connect_timeout=3, **kwargs
    )


def available() -> str | None:
    """None when PostgreSQL answers on 127.0.0.1:5432, else why not."""
    try:
        with _connect("postgres") as conn:
            version = conn.execute("SHOW server_version").fetchone()
    except Exception as e:  # any failure: skip, with the reason
        return f"PostgreSQL ne répond pas sur {HOST}:{PORT} ({type(e).__name__}: {e})"
    return None if version else "PostgreSQL muet"


def server_version() -> str:
    try:
        with _connect("postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return "?"
    return str(row[0]).split()[0] if row else "?"


def _marker(db: str, key: str) -> dict[str, Any] | None:
    try:
        with _connect(db) as conn:
            row = conn.execute(
                "SELECT entries, load_seconds, loaded_at, steps FROM bench_corpus WHERE store = %s",
                (key,),
            ).fetchone()
    except psycopg.Error:
        return None
    if not row:
        return None
    return {"entries": row[0], "load": row[1], "loaded_at": row[2], "steps": json.loads(row[3])}


def get_database(sqlite_path: Path, entries: int, log: Callable[[str], None]) -> dict[str, Any]:
    """The PostgreSQL copy of ``sqlite_path`` (loaded if missing): {url, load, cached, size}."""
    key = sqlite_path.stem  # store-v<corpus>-<anchor>-<entries>
    db = dbname(entries)
    found = _marker(db, key)
    if found:
        log(f"PostgreSQL : {db} contient déjà {key} (réutilisé)")
        return {"url": url(db), "db": db, "cached": True, **found, "size": _size(db)}
    log(f"PostgreSQL : chargement de {sqlite_path.name} dans {db}…")
    started = time.perf_counter()
    steps = load(sqlite_path, db, log)
    seconds = time.perf_counter() - started
    with _connect(db, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bench_corpus(store text PRIMARY KEY, entries bigint, "
            "load_seconds double precision, loaded_at timestamptz DEFAULT now(), steps text)"
        )
        conn.execute(
            "INSERT INTO bench_corpus(store, entries, load_seconds, steps) VALUES (%s, %s, %s, %s)",
            (key, steps["entries"], seconds, json.dumps(steps)),
        )
    log(f"PostgreSQL : chargé en {seconds:.0f} s ({steps})")
    return {"url": url(db), "db": db, "cached": False, "entries": steps["entries"],
            "load": seconds, "steps": steps, "size": _size(db)}  # fmt: skip


def _size(db: str) -> int:
    with _connect(db) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


def _session(conn: psycopg.Connection) -> None:
    conn.execute("SET session_replication_role = replica")  # no FK triggers during the load
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET default_toast_compression = lz4")
    conn.execute("SET maintenance_work_mem = '2GB'")


def load(sqlite_path: Path, db: str, log: Callable[[str], None]) -> dict[str, Any]:
    steps: dict[str, Any] = {}
    with _connect("postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db}")
    t = time.perf_counter()
    store = Store(url(db))
    store.migrate()
    store.close()
    steps["migrate"] = round(time.perf_counter() - t, 1)
    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    src.execute("PRAGMA cache_size=-200000")
    sqlite_tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master")}
    with _connect(db, autocommit=True) as pg:
        _session(pg)
        rebuild = _drop_indexes(pg)
        pg.execute("DELETE FROM meta")
        t = time.perf_counter()
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in sqlite_tables or table.name == "alembic_version":
                continue
            pg_cols = {
                r[0]
                for r in pg.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                    (table.name,),
                )
            }
            if not pg_cols:
                continue
            src_cols = [r[1] for r in src.execute(f"PRAGMA table_info({table.name})")]
            cols = [c for c in src_cols if c in pg_cols]
            n = _copy(src, pg, table.name, cols, f"SELECT {', '.join(cols)} FROM {table.name}")
            if n:
                log(f"  {table.name} : {n:,} lignes")
            steps.setdefault("rows", {})[table.name] = n
        # Loaded without triggers: the days of arrival a store not yet migrated to 0012 lacks.
        pg.execute(
            "INSERT INTO arrival_day (day, version) SELECT DISTINCT "
            "to_char(first_seen_at, 'YYYY-MM-DD'), 1 FROM entry ON CONFLICT DO NOTHING"
        )
        steps["copy"] = round(time.perf_counter() - t, 1)
        steps["entries"] = steps.get("rows", {}).get("entry", 0)
        t = time.perf_counter()
        pg.execute("CREATE UNLOGGED TABLE bench_fts(entry_id integer, title text, body text)")
        n = _copy(
            src, pg, "bench_fts", ["entry_id", "title", "body"],
            "SELECT rowid, title, body FROM entry_fts ORDER BY rowid",
        )  # fmt: skip
        steps["fts_copy"] = round(time.perf_counter() - t, 1)
        log(f"  texte indexé : {n:,} lignes ({steps['fts_copy']} s), tsvector en SQL…")
    src.close()
    t = time.perf_counter()
    half = int(_scalar(db, "SELECT coalesce(max(entry_id), 0) FROM bench_fts")) // 2
    _parallel(
        db,
        *(
            [
                "INSERT INTO entry_search(entry_id, document) SELECT entry_id, "
                "setweight(to_tsvector('simple', title), 'A') || "
                f"setweight(to_tsvector('simple', body), 'B') FROM bench_fts WHERE {cond}"
            ]
            for cond in (f"entry_id <= {half}", f"entry_id > {half}")
        ),
    )
    steps["tsvector"] = round(time.perf_counter() - t, 1)
    log(f"  tsvector : {steps['tsvector']} s ; index…")
    t = time.perf_counter()
    gin = [s for s in rebuild if "gin" in s.lower()]
    _parallel(db, ["DROP TABLE bench_fts", *gin], [s for s in rebuild if s not in gin])
    steps["indexes"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    with _connect(db, autocommit=True) as pg:
        for table in SQLModel.metadata.sorted_tables:
            key = list(table.primary_key.columns)
            if len(key) == 1 and str(key[0].type).upper().startswith("INTEGER"):
                pg.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key[0].name}'), "
                    f"COALESCE((SELECT max({key[0].name}) FROM {table.name}), 1))"
                )
        pg.execute("VACUUM (ANALYZE)")
    steps["analyze"] = round(time.perf_counter() - t, 1)
    return steps


def _scalar(db: str, sql: str) -> Any:
    with _connect(db) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def _copy(
    src: sqlite3.Connection, pg: psycopg.Connection, table: str, cols: list[str], select: str
) -> int:
    n = 0
    cursor = src.execute(select)
    with pg.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        while rows := cursor.fetchmany(2000):
            for row in rows:
                copy.write_row(row)
            n += len(rows)
    return n


def _drop_indexes(pg: psycopg.Connection) -> list[str]:
    """Drop the secondary indexes and unique constraints of the big tables; their DDL."""
    rebuild: list[str] = []
    for table in LOADED_TABLES:
        for name, definition in pg.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            (table,),
        ).fetchall():
            pg.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            rebuild.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for name, definition in pg.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND "
            "NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (table,),
        ).fetchall():
            pg.execute(f"DROP INDEX {name}")
            rebuild.append(definition)
    return rebuild


def _parallel(db: str, *groups: list[str]) -> None:
    """Run each group (statements in order) on its own connection, groups in parallel."""
    errors: list[BaseException] = []

    def run(statements: list[str]) -> None:
        try:
            with _connect(db, autocommit=True) as conn:
                _session(conn)
                for sql in statements:
                    conn.execute(sql)
        except BaseException as e:  # re-raised in the caller
            errors.append(e)

    threads = [threading.Thread(target=run, args=(stmts,)) for stmts in groups]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
