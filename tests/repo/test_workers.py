"""Each pytest-xdist worker its own PostgreSQL database (tests/workers.py), and each test's
SQLite file a copy of one migrated once per worker (tests/conftest.py)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.runtime.services import Services
from storage.db import Database
from tests.conftest import BASE_PG_URL, PG_URL, seed_account
from tests.workers import ensure_database, worker_url

URL = "postgresql+psycopg://postgres:pw@127.0.0.1:5432/test"


def test_a_worker_gets_its_own_database_name() -> None:
    assert worker_url(URL, "gw0") == "postgresql+psycopg://postgres:pw@127.0.0.1:5432/test_gw0"
    assert worker_url(URL, "gw11").endswith("/test_gw11")


def test_outside_xdist_or_without_a_url_nothing_changes() -> None:
    assert worker_url(URL, "") == URL
    assert worker_url(None, "gw0") is None


def test_this_run_uses_its_worker_database() -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    assert worker_url(BASE_PG_URL) == PG_URL
    if PG_URL and worker:
        assert PG_URL.endswith(f"_{worker}")


@pytest.mark.skipif(not BASE_PG_URL, reason="creates a database: PostgreSQL")
def test_a_missing_worker_database_is_created_once() -> None:
    assert BASE_PG_URL is not None
    name = f"gwtest{uuid.uuid4().hex[:8]}"
    url = worker_url(BASE_PG_URL, name)
    assert url is not None
    admin = create_engine(BASE_PG_URL, isolation_level="AUTOCOMMIT")
    try:
        ensure_database(BASE_PG_URL, url)
        ensure_database(BASE_PG_URL, url)  # already there: nothing to do
        probe = create_engine(url)
        with probe.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        probe.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}"'))
        admin.dispose()


@pytest.mark.skipif(bool(PG_URL), reason="the migrated copy is SQLite's")
def test_a_test_database_is_a_migrated_copy_of_its_own(
    services: Services, migrated_sqlite: Path
) -> None:
    """Each test starts at head from a copy (tests/conftest.py): what it writes stays in it."""
    assert services.db.is_current()
    seed_account(services, "acme", "Acme Corp")
    template = Database(f"sqlite:///{migrated_sqlite}")
    try:
        assert template.is_current()
        with template.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM accounts")).scalar() == 0
    finally:
        template.dispose()
