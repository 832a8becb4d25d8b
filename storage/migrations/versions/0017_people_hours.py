"""people hours: each person's working window, time off and covered cases; the time zone
and status Slack says for each user

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "time_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("starts_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cover", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("set_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("back_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off")),
    )
    with op.batch_alter_table("time_off", schema=None) as batch_op:
        batch_op.create_index("ix_time_off_user", ["user_id", "ends_at"], unique=False)

    op.create_table(
        "working_hours",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("window", sa.String(length=11), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("set_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_working_hours")),
    )
    op.create_table(
        "covered_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time_off_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("cover", sa.String(length=32), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handed_back_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_covered_cases_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["time_off_id"], ["time_off.id"], name=op.f("fk_covered_cases_time_off_id_time_off")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_covered_cases")),
        sa.UniqueConstraint("time_off_id", "case_id", name=op.f("uq_covered_cases_time_off_id")),
    )
    with op.batch_alter_table("slack_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tz", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("status_emoji", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("status_expiration", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("slack_users", schema=None) as batch_op:
        batch_op.drop_column("status_expiration")
        batch_op.drop_column("status_emoji")
        batch_op.drop_column("tz")

    op.drop_table("covered_cases")
    op.drop_table("working_hours")
    with op.batch_alter_table("time_off", schema=None) as batch_op:
        batch_op.drop_index("ix_time_off_user")

    op.drop_table("time_off")
