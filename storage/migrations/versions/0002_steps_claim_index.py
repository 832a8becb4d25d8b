"""scheduled steps: partial claim index, case index

`ix_steps_claim` holds only live steps (pending or claimed), ordered by due time: the claim
query walks it from the oldest and stops after one batch, however many steps are due or
done. It replaces `ix_steps_due` (state, due_at), which made the claim sort every due
row per batch and which SQLite's planner preferred when both existed. `ix_steps_case_id`
serves cancel and pending_for_case when someone acts on a case.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE = "state IN ('pending', 'claimed')"  # must stay identical to storage.steps.LIVE_SQL


def upgrade() -> None:
    op.create_index(
        "ix_steps_claim",
        "scheduled_steps",
        ["due_at", "id"],
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )
    op.create_index("ix_steps_case_id", "scheduled_steps", ["case_id"])
    op.drop_index("ix_steps_due", table_name="scheduled_steps")


def downgrade() -> None:
    op.create_index("ix_steps_due", "scheduled_steps", ["state", "due_at"])
    op.drop_index("ix_steps_case_id", table_name="scheduled_steps")
    op.drop_index("ix_steps_claim", table_name="scheduled_steps")
