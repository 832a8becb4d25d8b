"""One PostgreSQL database per pytest-xdist worker (docs/testing.md, "Running the tests"):
workers share no database, so LISTEN/NOTIFY, advisory locks and tests that look at the whole
database (connections, other schemas) never see another worker's tests."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

CREATE_LOCK = 7_313_001  # one worker at a time creates its database: templates stay free


def worker_url(url: str | None, worker: str | None = None) -> str | None:
    """`url` with `_<worker>` appended to its database name under xdist (`test` -> `test_gw0`);
    unchanged outside xdist or without a URL."""
    worker = worker if worker is not None else os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def ensure_database(base_url: str, url: str) -> None:
    """Create `url`'s database if missing, connected to `base_url`'s (which must exist)."""
    name = make_url(url).database
    if name == make_url(base_url).database:
        return
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": CREATE_LOCK})
            try:
                found = conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                ).first()
                if found is None:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": CREATE_LOCK})
    finally:
        admin.dispose()
