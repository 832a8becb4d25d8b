"""outbox heads and in-doubt rows: an index of each channel's unsent rows in order, and
when a row's claim began and since when an attempt's outcome is unknown

`ix_outbox_heads` holds only unsent rows (pending or sending), by channel then id: a
delivery pass reads the first few of each channel from it (storage/outbox.py) instead of
sorting every claimable row; `ix_outbox_sending` holds the rows in flight, by channel, so
asking whether a channel has a call in flight reads those only. `claimed_at` and
`in_doubt_since` let a row taken over from a deliverer that died mid-call be looked up in
Slack before it is posted again (bot/outbox/lookup.py).

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

UNSENT = "state IN ('pending', 'sending')"  # must stay identical to storage.outbox.UNSENT_SQL
SENDING = "state = 'sending'"  # likewise storage.outbox.SENDING_SQL


def upgrade() -> None:
    utc = storage.models.UTCDateTime(timezone=True)
    op.add_column("outbox_messages", sa.Column("claimed_at", utc, nullable=True))
    op.add_column("outbox_messages", sa.Column("in_doubt_since", utc, nullable=True))
    op.create_index(
        "ix_outbox_heads",
        "outbox_messages",
        ["channel", "id"],
        sqlite_where=sa.text(UNSENT),
        postgresql_where=sa.text(UNSENT),
    )
    op.create_index(
        "ix_outbox_sending",
        "outbox_messages",
        ["channel"],
        sqlite_where=sa.text(SENDING),
        postgresql_where=sa.text(SENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_sending", table_name="outbox_messages")
    op.drop_index("ix_outbox_heads", table_name="outbox_messages")
    for column in ("in_doubt_since", "claimed_at"):
        if op.get_bind().dialect.name == "sqlite":
            # As in 0011: a plain column drops in place (SQLite 3.35+), no batch copy.
            op.execute(f"ALTER TABLE outbox_messages DROP COLUMN {column}")
        else:
            op.drop_column("outbox_messages", column)
