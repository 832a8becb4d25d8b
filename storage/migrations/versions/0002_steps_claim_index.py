"""scheduled steps: claim index and case index

The claim query walks `ix_steps_claim` in due order and stops after one batch: the index
holds only live steps (pending or claimed), so it stays small however many done steps
accumulate. `ix_steps_case_id` serves cancel / pending_for_case when someone acts.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE = "state IN ('pending', 'claimed')"  # must match storage.steps.LIVE_SQL exactly


def upgrade() -> None:
    op.create_index(
        "ix_steps_claim",
        "scheduled_steps",
        ["due_at", "id"],
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )
    op.create_index("ix_steps_case_id", "scheduled_steps", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_steps_case_id", table_name="scheduled_steps")
    op.drop_index("ix_steps_claim", table_name="scheduled_steps")
