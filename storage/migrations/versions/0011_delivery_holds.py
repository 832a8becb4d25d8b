"""delivery holds: the workspace pause, waiting channels, and how an outbox row depends on
its parent (thread, link, after)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("outbox_messages", sa.Column("relation", sa.String(length=8), nullable=True))
    _backfill_relations()
    op.create_table(
        "delivery_pauses",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", UTC, nullable=False),
        sa.Column("until", UTC, nullable=False),
        sa.Column("refusals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_delivery_pauses")),
    )
    op.create_table(
        "waiting_channels",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("since", UTC, nullable=False),
        sa.Column("next_try_at", UTC, nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_waiting_channels")),
    )


def _backfill_relations() -> None:
    """Rows still to send that have a parent: a link if they said so in their payload
    (the former `_link_parent` flag), otherwise in the parent's thread."""
    outbox = sa.table(
        "outbox_messages",
        sa.column("id", sa.Integer),
        sa.column("payload", sa.JSON),
        sa.column("parent_id", sa.Integer),
        sa.column("state", sa.String),
        sa.column("relation", sa.String),
    )
    conn = op.get_bind()
    has_parent = outbox.c.parent_id.is_not(None)
    conn.execute(outbox.update().where(has_parent).values(relation="thread"))
    unsent = sa.select(outbox.c.id, outbox.c.payload).where(
        has_parent, outbox.c.state.in_(("pending", "sending"))
    )
    for row_id, payload in conn.execute(unsent).all():
        if (payload or {}).get("_link_parent"):
            conn.execute(outbox.update().where(outbox.c.id == row_id).values(relation="link"))


def downgrade() -> None:
    op.drop_table("waiting_channels")
    op.drop_table("delivery_pauses")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops a plain column in place; a batch copy of the table would trip
        # over the rows that refer to it (replies, reports) while foreign keys are on.
        op.execute("ALTER TABLE outbox_messages DROP COLUMN relation")
    else:
        op.drop_column("outbox_messages", "relation")
