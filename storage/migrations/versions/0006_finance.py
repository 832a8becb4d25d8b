"""finance: invoices and their place on the dunning ladder, Stripe subscriptions, and the
pre-renewal invoice checks

Revision ID: 0006
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC = storage.models.UTCDateTime(timezone=True)
MONEY = sa.Numeric(precision=18, scale=3)


def upgrade() -> None:
    _invoices()
    _subscriptions()
    _renewal_checks()
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_renewal_date", ["renewal_date"], unique=False)


def _invoices() -> None:
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_due", MONEY, nullable=False),
        sa.Column("amount_remaining", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hosted_invoice_url", sa.Text(), nullable=True),
        sa.Column("stripe_subscription_id", sa.String(length=255), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("last_event_at", UTC, nullable=True),
        sa.Column("dunning_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_step_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_invoices_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_invoices_invoice_id")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "ix_invoices_ladder",
            ["next_step_on", "id"],
            unique=False,
            sqlite_where=sa.text(storage.models.OPEN_INVOICE_SQL),
            postgresql_where=sa.text(storage.models.OPEN_INVOICE_SQL),
        )


def _subscriptions() -> None:
    op.create_table(
        "stripe_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("cancel_at", UTC, nullable=True),
        sa.Column("cancellation_reason", sa.String(length=64), nullable=True),
        sa.Column("cancellation_feedback", sa.String(length=64), nullable=True),
        sa.Column("cancellation_comment", sa.Text(), nullable=True),
        sa.Column("involuntary", sa.Boolean(), nullable=False),
        sa.Column("arr", MONEY, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("last_event_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_stripe_subscriptions_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_stripe_subscriptions_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_subscriptions")),
        sa.UniqueConstraint(
            "subscription_id", name=op.f("uq_stripe_subscriptions_subscription_id")
        ),
    )
    with op.batch_alter_table("stripe_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stripe_subscriptions_account_id"), ["account_id"], unique=False
        )


def _renewal_checks() -> None:
    op.create_table(
        "renewal_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("renewal_date", sa.Date(), nullable=False),
        sa.Column("asked_at", UTC, nullable=False),
        sa.Column("asked_to", sa.String(length=32), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=32), nullable=True),
        sa.Column("answered_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_renewal_checks_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_renewal_checks_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_renewal_checks_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewal_checks")),
        sa.UniqueConstraint(
            "account_id", "renewal_date", name=op.f("uq_renewal_checks_account_id")
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_renewal_date")
    op.drop_table("renewal_checks")
    with op.batch_alter_table("stripe_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stripe_subscriptions_account_id"))
    op.drop_table("stripe_subscriptions")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_ladder")
        batch_op.drop_index(batch_op.f("ix_invoices_account_id"))
    op.drop_table("invoices")
