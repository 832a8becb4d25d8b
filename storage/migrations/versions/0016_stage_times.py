"""stage times: when a case was first acknowledged, and the indexes the report's stage
times read (clocks stopped in a window, the oldest open cases, offers by time)

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'acknowledged', 'working')"
CLOSED = "closed_at IS NOT NULL"


def upgrade() -> None:
    utc = storage.models.UTCDateTime(timezone=True)
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("acknowledged_at", utc, nullable=True))
    # Cases acted on before this column: the owner's first timeline line after the opening
    # (docs/reports.md, *Stage times*; managers live in the policy, not the database, so a
    # manager's first act is not found here). Another person's line, a system's line and
    # the line that opened the case never acknowledge it.
    op.execute(
        "UPDATE cases SET acknowledged_at = (SELECT min(e.at) FROM case_events e "
        "WHERE e.case_id = cases.id AND e.actor = cases.owner AND e.type <> 'opened' "
        "AND e.at > cases.created_at) "
        "WHERE last_action_at IS NOT NULL"
    )
    stage = ["kind", "owner", "created_at"]
    acknowledged = ["track", "acknowledged_at", *stage]
    _partial("ix_cases_report_acknowledged", "cases", acknowledged, "acknowledged_at IS NOT NULL")
    _partial("ix_cases_report_closing", "cases", ["track", "closed_at", *stage], CLOSED)
    _partial("ix_cases_open_oldest", "cases", ["track", "created_at", "id"], OPEN)
    op.create_index("ix_offers_created", "offers", ["created_at", "case_id"])
    _partial("ix_offers_decided", "offers", ["decided_at"], "decided_at IS NOT NULL")
    _partial("ix_offers_pending", "offers", ["created_at"], "status = 'pending'")


def _partial(name: str, table: str, columns: list[str], where: str) -> None:
    op.create_index(
        name,
        table,
        columns,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def downgrade() -> None:
    for name, table in (
        ("ix_offers_pending", "offers"),
        ("ix_offers_decided", "offers"),
        ("ix_offers_created", "offers"),
        ("ix_cases_open_oldest", "cases"),
        ("ix_cases_report_closing", "cases"),
        ("ix_cases_report_acknowledged", "cases"),
    ):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("acknowledged_at")
