"""save check-ins (did the save last?) and when an offer's outcome was recorded (the
concession ledger's date)

Revision ID: 0014
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

SAVED = "status = 'saved'"


def upgrade() -> None:
    utc = storage.models.UTCDateTime(timezone=True)
    money = sa.Numeric(precision=14, scale=2)
    op.create_table(
        "save_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.String(length=16), nullable=False),
        sa.Column("saved_at", utc, nullable=False),
        sa.Column("due_at", utc, nullable=False),
        sa.Column("arr_saved", money, nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("asked_to", sa.String(length=32), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.String(length=12), nullable=True),
        sa.Column("new_arr", money, nullable=True),
        sa.Column("answered_by", sa.String(length=32), nullable=True),
        sa.Column("answered_at", utc, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_save_checkins_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_save_checkins_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_save_checkins_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_save_checkins")),
        sa.UniqueConstraint("case_id", "checkpoint", name=op.f("uq_save_checkins_case_id")),
    )
    op.create_index("ix_save_checkins_account_id", "save_checkins", ["account_id"])
    op.create_index(
        "ix_save_checkins_answer",
        "save_checkins",
        ["case_id", "checkpoint", "answer", "new_arr"],
    )
    with op.batch_alter_table("offers") as batch:
        batch.add_column(sa.Column("outcome_at", utc, nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("arr_kept", money, nullable=True))
    op.create_index(
        "ix_cases_report_saved",
        "cases",
        ["track", "closed_at", "id", "arr_saved", "arr_at_risk", "offer_cost", "arr_kept"],
        sqlite_where=sa.text(SAVED),
        postgresql_where=sa.text(SAVED),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_report_saved", table_name="cases")
    op.drop_index("ix_save_checkins_answer", table_name="save_checkins")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("arr_kept")
    with op.batch_alter_table("offers") as batch:
        batch.drop_column("outcome_at")
    op.drop_index("ix_save_checkins_account_id", table_name="save_checkins")
    op.drop_table("save_checkins")
