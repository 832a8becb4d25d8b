"""The survey migration builds exactly what the models declare, on SQLite and PostgreSQL,
and goes back down cleanly."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import Database, alembic_config
from storage.models import Base

SURVEY_TABLES = {"survey_answers", "survey_edits"}


def _survey_diffs(db: Database) -> list[object]:
    """Differences between the migrated schema and the models that concern the survey."""
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    return [d for d in diffs if any(f"'{table}'" in repr(d) for table in SURVEY_TABLES)]


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migration_matches_models_and_downgrades(db_url: str) -> None:
    db = Database(db_url)
    try:
        db.migrate()
        tables = set(inspect(db.engine).get_table_names())
        assert tables >= SURVEY_TABLES
        assert _survey_diffs(db) == []
        with db.engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008-1")  # below the survey, whatever follows it
        assert not SURVEY_TABLES & set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()
