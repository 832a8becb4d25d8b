"""slack users updated: when Slack last changed each user object (its `updated`), so an
older `user_change` event (Slack retries late) never replaces newer facts

Revision ID: 0021_slack_users_updated
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slack_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("slack_updated", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("slack_users", schema=None) as batch_op:
        batch_op.drop_column("slack_updated")
