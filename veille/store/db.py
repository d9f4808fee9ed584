"""Engine creation: SQLite pragmas (WAL, foreign keys, busy timeout) and write transactions.

SQLite allows one writer at a time. Write transactions start with ``BEGIN IMMEDIATE`` so that a
writer takes the lock up front and waits (busy timeout) instead of failing on a read→write upgrade.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from veille.errors import StoreError

BUSY_TIMEOUT_MS = 30_000
_OS_CAUSES = {
    errno.ENOTDIR: "un élément du chemin est un fichier, pas un dossier",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOSPC: "le disque est plein",
    errno.ENOENT: "chemin introuvable",
}


def create_engine(url: str) -> sa.Engine:
    """Build an engine for ``url``; for SQLite, create the file's folder and set the pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        try:
            return sa.create_engine(url, pool_pre_ping=True)
        except ImportError as e:
            # The PostgreSQL driver is an optional extra: SQLite needs nothing more.
            form = (
                "" if "+" in parsed.drivername else ", et écrivez l'adresse postgresql+psycopg://…"
            )
            raise StoreError(
                f"le pilote PostgreSQL ({e.name}) n'est pas installé : installez veille avec "
                f"l'option postgresql (pip install 'veille[postgresql]'){form}"
            ) from e
    if parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            cause = _OS_CAUSES.get(e.errno or 0, e.strerror or str(e))
            raise StoreError(f"impossible de créer le dossier de la base {folder} : {cause}") from e
    engine = sa.create_engine(
        url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how transactions start (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"
