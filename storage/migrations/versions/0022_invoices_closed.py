"""invoices closed: closed invoices by their last recorded change, with what the report's
overdue figure as the previous period ended reads (docs/reports.md, *Trend*), so it reads
the invoices closed since then from this index, not the whole table

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

CLOSED = "status IN ('paid', 'void', 'uncollectible')"
COLUMNS = ["updated_at", "created_at", "due_date", "dunning_days", "amount_remaining", "amount_due"]


def upgrade() -> None:
    op.create_index(
        "ix_invoices_closed",
        "invoices",
        COLUMNS,
        sqlite_where=sa.text(CLOSED),
        postgresql_where=sa.text(CLOSED),
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_closed", table_name="invoices")
