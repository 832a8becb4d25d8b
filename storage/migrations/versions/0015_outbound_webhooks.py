"""outbound webhooks: one delivery row per event and endpoint; who released a renewal hold;
accounts' HubSpot company

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = storage.models.UTCDateTime(timezone=True)
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", utc, nullable=False),
        sa.Column("claimed_until", utc, nullable=True),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("last_attempt_at", utc, nullable=True),
        sa.Column("delivered_at", utc, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("event_id", "url", name=op.f("uq_webhook_deliveries_event_id")),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["state", "next_attempt_at"])
    with op.batch_alter_table("renewal_checks") as batch:
        batch.add_column(sa.Column("released_by", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("released_at", utc, nullable=True))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("hubspot_company_id", sa.String(length=40), nullable=True))
        batch.create_unique_constraint(
            op.f("uq_accounts_hubspot_company_id"), ["hubspot_company_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint(op.f("uq_accounts_hubspot_company_id"), type_="unique")
        batch.drop_column("hubspot_company_id")
    with op.batch_alter_table("renewal_checks") as batch:
        batch.drop_column("released_at")
        batch.drop_column("released_by")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
