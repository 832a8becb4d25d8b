"""The outbox table: every outgoing Slack call is a row written with the change behind it
(bot/outbox; the queries in storage/outbox.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class OutboxMessage(Base):
    """A Slack Web API call waiting to be made, written with the change that caused it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    ts: Mapped[str | None] = mapped_column(String(32))
    permalink: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # How a row with a parent depends on it (storage/outbox.py): "thread" (a reply, an edit,
    # an upload beside it: waits with it), "link" (elsewhere, with its permalink: goes
    # without the link if the parent waits or failed), "after" (a follow-up once it is sent).
    relation: Mapped[str | None] = mapped_column(String(8))
    # When the current claim began, and since when an attempt's outcome is unknown (its
    # deliverer died mid-call): such a row is looked up in Slack before it is posted again
    # (bot/outbox/lookup.py). NULL once every attempt's outcome is recorded.
    claimed_at: Mapped[datetime | None]
    in_doubt_since: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index(
            "ix_outbox_heads",
            "channel",
            "id",
            sqlite_where=text("state IN ('pending', 'sending')"),
            postgresql_where=text("state IN ('pending', 'sending')"),
        ),
        Index(
            "ix_outbox_sending",
            "channel",
            sqlite_where=text("state = 'sending'"),
            postgresql_where=text("state = 'sending'"),
        ),
    )
