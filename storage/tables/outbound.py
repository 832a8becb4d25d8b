"""The outbound webhook deliveries: one durable row per event and endpoint (docs/webhooks.md,
*Outbound webhooks*), written in the unit of work of the change the event reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class WebhookDelivery(Base):
    """An event on its way to one endpoint. `body` is the exact JSON sent (and signed) on
    every attempt; `event_id` is the `webhook-id` header, the same on every retry so the
    receiver can drop repeats. `state` is pending → sending (leased until `claimed_until`)
    → delivered or failed; `last_status` is the endpoint's last HTTP status (None: no
    answer). Times are UTC."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("event_id", "url"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    )
