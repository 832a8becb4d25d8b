"""The tests' own PostgreSQL schema is dropped even when a session a test left behind still
holds a lock in it (tests/schemas.py): the drop was a deadlock victim in CI once."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.conftest import PG_URL
from tests.schemas import fresh_schema

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (TEST_DATABASE_URL)")


def test_a_session_left_in_a_transaction_does_not_stop_the_drop() -> None:
    assert PG_URL
    with fresh_schema(PG_URL) as url:
        schema = url.rsplit("%3D", 1)[1]
        left = create_engine(url)
        conn = left.connect()
        conn.execute(text("CREATE TABLE held (id int)"))
        conn.commit()
        conn.execute(text("SELECT * FROM held"))  # a transaction holding AccessShareLock
    try:
        assert schema not in inspect(create_engine(PG_URL)).get_schema_names()
    finally:
        left.dispose()
