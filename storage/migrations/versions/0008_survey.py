"""survey: one cancellation survey per churn of a case, and its amendments

Revision ID: 0008
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None

_UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("churn_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("involuntary", sa.Boolean(), nullable=False),
        sa.Column("asked_to", sa.String(length=32), nullable=True),
        sa.Column("asked_at", _UTC, nullable=False),
        sa.Column("arr_lost", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("stated_reason", sa.Text(), nullable=True),
        sa.Column("root_cause", sa.String(length=64), nullable=True),
        sa.Column("controllable", sa.Boolean(), nullable=True),
        sa.Column("competitor", sa.String(length=200), nullable=True),
        sa.Column("competitor_key", sa.String(length=200), nullable=True),
        sa.Column("tried", sa.Text(), nullable=True),
        sa.Column("would_come_back", sa.String(length=8), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=32), nullable=True),
        sa.Column("answered_at", _UTC, nullable=True),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("updated_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_survey_answers_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint("case_id", "churn_number", name=op.f("uq_survey_answers_case_id")),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index(
            "uq_survey_answers_one_open",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("status = 'asked'"),
            postgresql_where=sa.text("status = 'asked'"),
        )
        batch_op.create_index("ix_survey_answers_answered", ["status", "answered_at"])
        batch_op.create_index("ix_survey_answers_competitor_key", ["competitor_key"])

    op.create_table(
        "survey_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["survey_answers.id"],
            name=op.f("fk_survey_edits_answer_id_survey_answers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_edits")),
    )
    with op.batch_alter_table("survey_edits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_edits_answer_id"), ["answer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_edits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_edits_answer_id"))
    op.drop_table("survey_edits")
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_answers_competitor_key")
        batch_op.drop_index("ix_survey_answers_answered")
        batch_op.drop_index(
            "uq_survey_answers_one_open",
            sqlite_where=sa.text("status = 'asked'"),
            postgresql_where=sa.text("status = 'asked'"),
        )
    op.drop_table("survey_answers")
