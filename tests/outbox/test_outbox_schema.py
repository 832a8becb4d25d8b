"""The delivery-holds migration builds exactly what the models declare, on SQLite and
PostgreSQL, keeps a queued link a link, and goes back down cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from storage.db import Database, alembic_config
from storage.models import Base

TABLES = {"delivery_pauses", "waiting_channels"}


def _diffs(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    names = TABLES | {"outbox_messages"}
    return [d for d in diffs if any(f"'{table}'" in repr(d) for table in names)]


def _to(db: Database, revision: str, up: bool) -> None:
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(cfg, revision)


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migration_matches_models_backfills_links_and_downgrades(db_url: str) -> None:
    db = Database(db_url)
    try:
        _to(db, "0009", up=True)
        now = datetime(2026, 1, 1, tzinfo=UTC)
        insert = text(
            "INSERT INTO outbox_messages (id, method, channel, payload, parent_id, state, "
            "attempts, next_attempt_at, created_at) VALUES (:id, 'chat.postMessage', :ch, "
            ":payload, :parent, 'pending', 0, :now, :now)"
        )
        with db.engine.begin() as conn:
            conn.execute(insert, {"id": 1, "ch": "C0", "payload": "{}", "parent": None, "now": now})
            link = '{"text": "x", "_link_parent": true}'
            conn.execute(insert, {"id": 2, "ch": "U0", "payload": link, "parent": 1, "now": now})
            conn.execute(insert, {"id": 3, "ch": "C0", "payload": "{}", "parent": 1, "now": now})
        db.migrate()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        assert _diffs(db) == []
        with db.engine.connect() as conn:
            relations = dict(conn.execute(text("SELECT id, relation FROM outbox_messages")).all())
        assert relations == {1: None, 2: "link", 3: "thread"}
        _to(db, "0009", up=False)
        assert not TABLES & set(inspect(db.engine).get_table_names())
        columns = {c["name"] for c in inspect(db.engine).get_columns("outbox_messages")}
        assert "relation" not in columns
    finally:
        db.dispose()
