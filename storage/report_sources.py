"""The other domains' tables as the report reads them: only the columns it needs, as
lightweight table clauses, so the report's queries stay plain SQL whichever of those
domains a database has. `present` says whether a table exists (before its migration has
run, the figures it feeds are reported as unknown rather than as zero)."""

from __future__ import annotations

from sqlalchemy import Boolean, Date, Integer, Numeric, String, column, inspect, table
from sqlalchemy.orm import Session

from storage.models import UTCDateTime

# turnover: the main-contact-turnover playbook and its action-plan steps
turnovers = table("turnovers", column("id", Integer), column("case_id", Integer))
plan_steps = table(
    "plan_steps",
    column("id", Integer),
    column("turnover_id", Integer),
    column("done", Boolean),
)

# survey: one row per churn of a case; root_cause is the policy reason's key
survey_answers = table(
    "survey_answers",
    column("id", Integer),
    column("case_id", Integer),
    column("churn_number", Integer),
    column("asked_at", UTCDateTime()),
    column("involuntary", Boolean),
    column("arr_lost", Numeric(14, 2)),
    column("root_cause", String),
    column("competitor", String),
    column("competitor_key", String),
    column("notes", String),
)

# finance: invoices on the dunning ladder, and Stripe's involuntary cancellations
invoices = table(
    "invoices",
    column("id", Integer),
    column("invoice_id", String),
    column("account_id", Integer),
    column("amount_due", Numeric(18, 3)),
    column("amount_remaining", Numeric(18, 3)),
    column("currency", String),
    column("due_date", Date),
    column("status", String),
    column("dunning_days", Integer),
    column("created_at", UTCDateTime()),
    column("updated_at", UTCDateTime()),
)
stripe_subscriptions = table(
    "stripe_subscriptions",
    column("case_id", Integer),
    column("involuntary", Boolean),
)


def present(session: Session, name: str) -> bool:
    """Whether table `name` exists in the session's database (current schema); the table
    list is read once per session, not once per query."""
    tables = session.info.get("report_tables")
    if tables is None:
        tables = session.info["report_tables"] = set(
            inspect(session.connection()).get_table_names()
        )
    return name in tables
