"""The turnover, survey and finance tables as their models declare them (NOT NULL columns
and indexes), for benchmarking the report on a schema whose migrations do not have them
yet; where a migration created one, it is used as it is."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    inspect,
    text,
)

from storage.db import Database
from storage.models import UTCDateTime


def _domain_tables() -> MetaData:
    """The other domains' tables as their models declare them (NOT NULL columns, indexes)."""
    md = MetaData()
    when = UTCDateTime()
    Table(
        "turnovers",
        md,
        Column("id", Integer, primary_key=True),
        Column("case_id", Integer, nullable=False, index=True),
        Column("account_id", Integer, nullable=False, index=True),
        *[
            Column(n, String(24), nullable=False)
            for n in (
                "contact_name",
                "learned_timing",
                "coverage",
                "destination",
                "role_fate",
                "replacement",
            )
        ],
        Column("learned_at", when, nullable=False),
        Column("created_at", when, nullable=False),
        Column("updated_at", when, nullable=False),
    )
    Table(
        "plan_steps",
        md,
        Column("id", Integer, primary_key=True),
        Column("turnover_id", Integer, nullable=False, index=True),
        Column("key", String(64), nullable=False),
        Column("text", Text, nullable=False),
        Column("done", Boolean, nullable=False),
        Column("position", Integer, nullable=False),
    )
    surveys = Table(
        "survey_answers",
        md,
        Column("id", Integer, primary_key=True),
        Column("case_id", Integer, nullable=False),
        Column("churn_number", Integer, nullable=False),
        Column("status", String(16), nullable=False),
        Column("involuntary", Boolean, nullable=False),
        Column("asked_at", when, nullable=False),
        Column("arr_lost", Numeric(14, 2)),
        Column("root_cause", String(64)),
        Column("competitor", String(200)),
        Column("competitor_key", String(200)),
    )
    Index("uq_survey_answers_case_id", surveys.c.case_id, surveys.c.churn_number, unique=True)
    invoices = Table(
        "invoices",
        md,
        Column("id", Integer, primary_key=True),
        Column("invoice_id", String(255), nullable=False, unique=True),
        Column("account_id", Integer, nullable=False, index=True),
        Column("amount_due", Numeric(18, 3), nullable=False),
        Column("amount_remaining", Numeric(18, 3), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("due_date", Date),
        Column("status", String(16), nullable=False),
        Column("source", String(16), nullable=False),
        Column("dunning_days", Integer, nullable=False),
        Column("next_step_on", Date),
        Column("created_at", when, nullable=False),
        Column("updated_at", when, nullable=False),
    )
    open_sql = text("status = 'open'")
    Index(
        "ix_invoices_ladder",
        invoices.c.next_step_on,
        invoices.c.id,
        sqlite_where=open_sql,
        postgresql_where=open_sql,
    )
    return md


def create_missing_tables(db: Database) -> list[str]:
    """Create the domain tables this schema lacks; returns their names."""
    existing = set(inspect(db.engine).get_table_names())
    md = _domain_tables()
    missing = [t for name, t in md.tables.items() if name not in existing]
    md.create_all(db.engine, tables=missing)
    return [t.name for t in missing]
