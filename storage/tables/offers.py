"""Save offers on cases and the report's indexes on them; queries in storage/offers.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class Offer(Base):
    """A save offer on a case: proposed, approved by policy or by an approver, then the
    customer's answer. Every step is also a case timeline event."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    proposer: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(32))
    value: Mapped[Decimal]
    discount_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    duration: Mapped[str | None] = mapped_column(String(100))
    justification: Mapped[str] = mapped_column(Text)
    tried: Mapped[str | None] = mapped_column(Text)
    approver: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    counter_value: Mapped[Decimal | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_at: Mapped[datetime | None]  # when the customer's answer was recorded
    request_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    created_at: Mapped[datetime]


Index("ix_offers_created", Offer.created_at, Offer.case_id)
Index(
    "ix_offers_decided",
    Offer.decided_at,
    sqlite_where=text("decided_at IS NOT NULL"),
    postgresql_where=text("decided_at IS NOT NULL"),
)
Index(
    "ix_offers_pending",
    Offer.created_at,
    sqlite_where=text("status = 'pending'"),
    postgresql_where=text("status = 'pending'"),
)
