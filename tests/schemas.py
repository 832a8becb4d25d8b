"""A fresh PostgreSQL schema for one test or benchmark run, dropped at the end, so runs never
touch (or see) tables already in a shared database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError


@contextmanager
def fresh_schema(url: str, prefix: str = "t") -> Iterator[str]:
    """Yield `url` pointed (through search_path) at a new, empty schema."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        finally:
            _drop(admin, schema)
    finally:
        admin.dispose()


LOCKERS = text(
    "SELECT DISTINCT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = :schema AND l.pid <> pg_backend_pid()"
)


def _drop(admin: Engine, schema: str, tries: int = 5) -> None:
    """Drop the schema, ending first any session still holding a lock in it: a thread a
    test left running (a demo's tick finishing late) made the drop a deadlock victim."""
    for attempt in range(tries):
        try:
            with admin.begin() as conn:
                for (pid,) in conn.execute(LOCKERS, {"schema": schema}):
                    conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                conn.execute(text("SET LOCAL lock_timeout = '5s'"))
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            return
        except OperationalError:
            if attempt == tries - 1:
                raise
