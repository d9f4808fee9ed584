"""The scheduler lock: exactly one active scheduler per deployment.

PostgreSQL: a session-level advisory lock, held by a dedicated connection for as long as the
scheduler runs; the server releases it when that session ends (a clean stop, a crash, a
SIGKILL) — and also when the session is lost while the scheduler lives (a database
restart, a terminated backend): ``held()`` asks the server, and the scheduler checks it before
each job and between ticks. SQLite: an exclusive ``flock`` on a file beside the database,
released by the kernel when the process ends. Either way a second worker simply fails to
take it and tries again later.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from veille.store.base import StoreBase

ADVISORY_KEY = 0x7665_696C  # "veil": the scheduler's advisory lock class
# The second key: the schema, so that two deployments sharing one PostgreSQL database in two
# schemas (or two test runs) each have their own scheduler.
SCHEMA_KEY = "hashtext(current_schema())"


class Lock(Protocol):
    # Whether the lock can be lost while its holder lives (a PostgreSQL session can end under
    # it): a new holder then waits for the old one to notice and stop (the scheduler's fence).
    can_be_lost: bool

    def held(self) -> bool: ...

    def release(self) -> None: ...


class _PostgresLock:
    can_be_lost = True

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def held(self) -> bool:
        """Whether this session still holds the lock (False when the session is gone)."""
        try:
            found = self._conn.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                f" AND pid = pg_backend_pid() AND classid = {ADVISORY_KEY}"
                f" AND objid = {SCHEMA_KEY}::oid AND objsubid = 2"
            ).scalar()
            self._conn.commit()
        except sa.exc.SQLAlchemyError:
            return False
        return bool(found)

    def release(self) -> None:
        try:
            self._conn.exec_driver_sql(f"SELECT pg_advisory_unlock({ADVISORY_KEY}, {SCHEMA_KEY})")
        except sa.exc.SQLAlchemyError:
            pass  # the session is gone, and the lock with it
        finally:
            self._conn.close()


class _FileLock:
    can_be_lost = False

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def held(self) -> bool:
        return True  # the kernel holds it for as long as this process lives

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


class LockMixin(StoreBase):
    def try_scheduler_lock(self) -> Lock | None:
        """Take the scheduler lock if nobody holds it; None when another scheduler runs."""
        if self.engine.dialect.name == "postgresql":
            conn = self.engine.connect()
            got = conn.exec_driver_sql(
                f"SELECT pg_try_advisory_lock({ADVISORY_KEY}, {SCHEMA_KEY})"
            ).scalar()
            conn.commit()
            if got:
                return _PostgresLock(conn)
            conn.close()
            return None
        return _file_lock(self._lock_path())

    def _lock_path(self) -> Path:
        database = make_url(self.url).database
        if not database or database == ":memory:":
            return Path(f"/tmp/veille-{os.getuid()}-memory.lock")
        return Path(database).with_name(Path(database).name + ".scheduler.lock")


def _file_lock(path: Path) -> _FileLock | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except Exception:
        os.close(fd)
        raise
    return _FileLock(fd)
