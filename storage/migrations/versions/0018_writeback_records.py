"""write-back step records: what was already done in HubSpot for an outcome

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = storage.models.UTCDateTime(timezone=True)
    op.create_table(
        "writeback_records",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("happened_at", utc, nullable=False),
        sa.Column("recorded_at", utc, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_writeback_records")),
    )


def downgrade() -> None:
    op.drop_table("writeback_records")
