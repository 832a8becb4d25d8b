"""step attempts: how many times a step was claimed, so one that keeps dying with its
worker is given up instead of retried every lease forever

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("scheduled_steps", schema=None) as batch_op:
        batch_op.drop_column("attempts")
