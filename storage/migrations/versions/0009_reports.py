"""reports: generated revenue-at-risk reports, leaders' App Home refreshes, and the case
indexes the report's figures read

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'acknowledged', 'working')"
CLOSED = "closed_at IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("period_start", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_end", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("generated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("requested_by", sa.String(length=32), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_reports_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    op.create_index("ix_reports_generated_at", "reports", ["generated_at"])
    op.create_table(
        "home_views",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("published_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_home_views")),
    )
    op.create_index("ix_accounts_currency", "accounts", ["currency"])
    op.create_index(
        "ix_cases_report_open",
        "cases",
        ["track", "kind", "risk", "arr_at_risk", "created_at", "id"],
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_cases_report_closed",
        "cases",
        ["track", "closed_at", "status", "kind", "arr_at_risk", "arr_saved"],
        sqlite_where=sa.text(CLOSED),
        postgresql_where=sa.text(CLOSED),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_report_closed", table_name="cases")
    op.drop_index("ix_cases_report_open", table_name="cases")
    op.drop_table("home_views")
    op.drop_index("ix_accounts_currency", table_name="accounts")
    op.drop_index("ix_reports_generated_at", table_name="reports")
    op.drop_table("reports")
