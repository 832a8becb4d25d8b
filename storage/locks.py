"""The scheduler lock: exactly one worker per deployment runs the jobs.

PostgreSQL: a session-level advisory lock held on a dedicated connection (it is released
when that connection dies, so a standby takes over). SQLite: an exclusive file lock
beside the database file (one machine only, which is all SQLite serves).
"""

from __future__ import annotations

import fcntl
import os
from typing import IO, Any

from sqlalchemy import text

from storage.db import Database

SCHEDULER_LOCK_KEY = 7_261_002
# Advisory locks are per server database; two deployments sharing one database in
# different schemas must not block each other, so the schema is part of the key.
_SCOPE = "hashtext(current_database() || '.' || current_schema())"


class SchedulerLock:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Any = None
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self.db.is_postgres:
            return self._try_postgres()
        return self._try_file()

    def _try_postgres(self) -> bool:
        conn = self.db.engine.connect()
        got = conn.execute(
            text(f"SELECT pg_try_advisory_lock(:k, {_SCOPE})"), {"k": SCHEDULER_LOCK_KEY}
        )
        if got.scalar():
            conn.commit()
            self._conn = conn
            return True
        conn.close()
        return False

    def _try_file(self) -> bool:
        database = self.db.engine.url.database or "savedesk"
        path = (database if database != ":memory:" else "savedesk") + ".scheduler.lock"
        handle = open(path, "a")  # noqa: SIM115 - held open for the life of the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def still_held(self) -> bool:
        """False when the connection holding the PostgreSQL lock has died."""
        if self._conn is None:
            return self._file is not None
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(
                    text(f"SELECT pg_advisory_unlock(:k, {_SCOPE})"), {"k": SCHEDULER_LOCK_KEY}
                )
                self._conn.close()
            except Exception:
                pass
            self._conn = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
