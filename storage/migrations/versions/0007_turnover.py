"""main-contact turnover: the turnovers table (the playbook's answers as checked enum
strings, time at risk, the sales lead message) and plan_steps (the action plan)

Revision ID: 0007
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ANSWERS = {
    "learned_timing": ("before_left", "after_left"),
    "coverage": ("other_contact", "no_other_contact"),
    "destination": ("another_company", "another_role", "unknown"),
    "role_fate": ("replaced", "merged", "leaving_space"),
    "replacement": ("unknown", "internal", "external_new", "external_competitor"),
}


def _checks() -> list[sa.CheckConstraint]:
    return [
        sa.CheckConstraint(
            f"{column} IN ({', '.join(repr(value) for value in values)})",
            name=op.f(f"ck_turnovers_{column}"),
        )
        for column, values in _ANSWERS.items()
    ]


def upgrade() -> None:
    utc = storage.models.UTCDateTime(timezone=True)
    op.create_table(
        "turnovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("learned_timing", sa.String(length=16), nullable=False),
        sa.Column("coverage", sa.String(length=24), nullable=False),
        sa.Column("other_contact_name", sa.String(length=200), nullable=True),
        sa.Column("destination", sa.String(length=24), nullable=False),
        sa.Column("new_company", sa.String(length=200), nullable=True),
        sa.Column("role_fate", sa.String(length=24), nullable=False),
        sa.Column("replacement", sa.String(length=24), nullable=False),
        sa.Column("competitor", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("learned_at", utc, nullable=False),
        sa.Column("risk_ended_at", utc, nullable=True),
        sa.Column("time_at_risk_seconds", sa.Integer(), nullable=True),
        sa.Column("lead_message_id", sa.Integer(), nullable=True),
        sa.Column("plan_message_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("updated_at", utc, nullable=False),
        *_checks(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_turnovers_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_turnovers_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["lead_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_turnovers_lead_message_id_outbox_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_turnovers_plan_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turnovers")),
    )
    with op.batch_alter_table("turnovers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_turnovers_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_turnovers_account_id"), ["account_id"], unique=False)

    op.create_table(
        "plan_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("turnover_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("assignee", sa.String(length=32), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_by", sa.String(length=32), nullable=True),
        sa.Column("done_at", utc, nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["turnover_id"], ["turnovers.id"], name=op.f("fk_plan_steps_turnover_id_turnovers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_steps")),
        sa.UniqueConstraint("turnover_id", "key", name=op.f("uq_plan_steps_turnover_id")),
    )
    with op.batch_alter_table("plan_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_steps_turnover_id"), ["turnover_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_steps_turnover_id"))
    op.drop_table("plan_steps")
    with op.batch_alter_table("turnovers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_turnovers_account_id"))
        batch_op.drop_index(batch_op.f("ix_turnovers_case_id"))
    op.drop_table("turnovers")
