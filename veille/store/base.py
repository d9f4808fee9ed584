"""What every part of the store shares: the engine, write transactions, migrations, facts."""

from __future__ import annotations

import errno
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from veille.errors import StoreError
from veille.store.arrivals import ArrivalCounts
from veille.store.db import create_engine
from veille.store.tables import feed_t, meta_t

# The newest migration (tests check it is Alembic's head): a database already there starts
# without importing Alembic at all.
SCHEMA_HEAD = "0012"
MIGRATION_LOCK = 0x7665_696D  # advisory lock key serialising migrations on PostgreSQL
SYNC_LOCK = 0x7665_6973  # … and the feeds.yaml syncs of replicas starting together


def feed_display_title() -> Any:
    """SQL for a feed's shown title: the one set in feeds.yaml, else its own, else its id."""
    return sa.func.coalesce(feed_t.c.config_title, sa.func.nullif(feed_t.c.title, ""), feed_t.c.id)


class StoreBase:
    """Owns the engine. Build one per process; call ``migrate()`` once."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self._authority: str | None = None
        # The unread counts of what arrived after a horizon, by day of arrival (``arrivals.py``).
        self._arrivals = ArrivalCounts()
        self.read_only = False  # set when writes were refused (pages are still served)

    def close(self) -> None:
        self.engine.dispose()

    def _read(self) -> sa.Connection:
        """A connection for several reads. On PostgreSQL in autocommit: at READ COMMITTED each
        statement takes its own snapshot anyway, so a transaction would only add a BEGIN and
        a ROLLBACK round trip (what that costs: BENCHMARKS.md, item 10)."""
        conn = self.engine.connect()
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return conn

    def _write(self) -> Any:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite: one writer, waiting its turn)."""
        return self.engine.execution_options(sqlite_immediate=True).begin()

    def _write_one(self, statement: sa.Executable) -> int:
        """Run one write statement in its own transaction; the rows it changed."""
        with self._write() as conn:
            return int(conn.execute(statement).rowcount)  # type: ignore[attr-defined]

    def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision; StoreError (French) for a database
        written by a newer veille (never downgraded: its data would be lost)."""
        version = self._schema_version()
        if version == SCHEMA_HEAD:
            # The usual start: nothing to do, and no Alembic to load (its memory: BENCHMARKS.md).
            return
        if version is not None and version > SCHEMA_HEAD:
            raise StoreError(
                f"la base vient d'une version plus récente de veille (schéma {version}, "
                f"celle-ci connaît jusqu'au schéma {SCHEMA_HEAD}) : mettez veille à jour"
            )
        from alembic import command
        from alembic.config import Config as AlembicConfig
        from alembic.util import CommandError

        ini = resources.files("veille.store") / "alembic.ini"
        cfg = AlembicConfig(str(ini))
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # Replicas starting together migrate one at a time (released at commit).
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except (sa.exc.SQLAlchemyError, CommandError) as e:
            raise StoreError(f"migration de la base impossible : {explain(e, self.url)}") from e

    def _schema_version(self) -> str | None:
        """The Alembic revision the database is at (None: not a veille database yet)."""
        try:
            with self.engine.connect() as conn:
                versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        except sa.exc.SQLAlchemyError:
            return None
        return versions[0][0] if len(versions) == 1 else None

    def integrity_ok(self) -> bool:
        if self.engine.dialect.name != "sqlite":
            return True
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key == key)).scalar()

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            write_meta(conn, key, value)

    def id_authority(self, candidate: str) -> str:
        """The authority of the entries' ``tag:`` ids in every output: recorded once, at the
        first call (``candidate``: the host of the public address then), and kept for good —
        a deployment moving to its real address must not make every article appear again in
        its subscribers' readers. ``veille db copy`` carries it over with the meta table."""
        if self._authority is None:
            found = self.get_meta(ID_AUTHORITY_KEY)  # a read: a read-only base serves feeds
            if found is None and not self.read_only:
                with self._write() as conn:
                    found = conn.execute(
                        sa.select(meta_t.c.value).where(meta_t.c.key == ID_AUTHORITY_KEY)
                    ).scalar()
                    if found is None:
                        write_meta(conn, ID_AUTHORITY_KEY, candidate)
            self._authority = found or candidate
        return self._authority

    def outputs_changed_at(self, digest: str = "") -> datetime | None:
        """The last change that alters outputs without changing an entry: a retag (themes
        come and go), and an editor's curation of ``digest``. Part of the output feeds'
        ``Last-Modified``."""
        keys = [RETAGGED_KEY] + ([curation_key(digest)] if digest else [])
        with self.engine.connect() as conn:
            values = conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key.in_(keys)))
            return max((datetime.fromisoformat(v) for v in values.scalars()), default=None)


# What the database says when it cannot write, and what an administrator should read instead.
_CAUSES = (
    ("readonly database", "la base est en lecture seule (droits du fichier ou du dossier)"),
    ("disk is full", "le disque est plein"),
    ("unable to open database file", "impossible d'ouvrir le fichier de la base"),
    ("disk i/o error", "erreur d'entrée-sortie sur le disque"),
    ("no space left", "le disque est plein"),
    ("connection refused", "le serveur de base de données ne répond pas"),
)


def explain(error: BaseException, url: str | None = None) -> str:
    """A French cause for a database error, else its own text (first line). With the
    database's ``url``, an I/O error on a SQLite file whose disk has no room left is told as
    such (SQLite reports a full disk while creating its WAL files as an I/O error), and a
    file that cannot be opened because its folder cannot be written too (SQLite creates the
    base and its -wal and -shm files there, even to read a base in WAL mode)."""
    text = str(getattr(error, "orig", None) or error)
    lowered = text.lower()
    if "disk i/o error" in lowered and url and _disk_full(url):
        return "le disque est plein"
    if "unable to open database file" in lowered and url:
        folder = _sqlite_folder(url)
        if folder is not None and not _writable(folder):
            return (
                f"le dossier {folder} est en lecture seule : SQLite doit pouvoir y créer ses "
                "fichiers (la base, ses fichiers -wal et -shm)"
            )
    for needle, cause in _CAUSES:
        if needle in lowered:
            return cause
    return text.splitlines()[0] if text else type(error).__name__


def _sqlite_folder(url: str) -> Path | None:
    database = make_url(url).database
    if make_url(url).get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).parent


def _disk_full(url: str) -> bool:
    folder = _sqlite_folder(url)
    try:
        return folder is not None and shutil.disk_usage(folder).free < FULL_BELOW
    except OSError:
        return False


def _writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder`` (tried: permission bits do not tell root
    about a read-only mount or an immutable folder)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".veille-"):
            return True
    except OSError as e:
        return e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS)


FULL_BELOW = 1024 * 1024  # less free space than this: the disk is full for a database


def read_only(error: BaseException) -> bool:
    return "readonly database" in str(getattr(error, "orig", None) or error).lower()


ID_AUTHORITY_KEY = "id_authority"
RETAGGED_KEY = "retagged_at"


T = TypeVar("T")
IN_CHUNK = 500  # values per ``IN (…)`` clause: well under SQLite's bound on parameters


def in_chunks(values: list[T]) -> Iterator[list[T]]:
    """``values`` in slices of ``IN_CHUNK``, one ``IN (…)`` statement each."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def curation_key(digest: str) -> str:
    return f"curated_at:{digest}"


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    rows: list[dict[str, Any]],
    key: Sequence[str],
    columns: Sequence[str],
) -> None:
    """Insert ``rows``, or update ``columns`` of those whose ``key`` is there already: one
    statement (``ON CONFLICT``, on both backends), so two writers at once cannot both
    insert (a delete then an insert can: PostgreSQL's second writer finds the row deleted
    by the first, not the one it inserted, and its insert fails on the key)."""
    if not rows:
        return
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = module.insert(table)
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=list(key), set_={c: insert.excluded[c] for c in columns}
        ),
        rows,
    )


def write_meta(conn: sa.Connection, key: str, value: str) -> None:
    """Set a store-wide fact inside the caller's transaction."""
    upsert(conn, meta_t, [{"key": key, "value": value}], ("key",), ("value",))
