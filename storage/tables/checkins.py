"""The save check-ins (docs/reports.md, *Did the save last?*): after a case is saved, its owner is
asked at each policy checkpoint whether the account is still a customer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class SaveCheckin(Base):
    """One checkpoint of one save: "90" / "180" / "365" (days after the save) or "renewal".

    `state` is pending (its step not yet run) → asked (the owner has the question) →
    answered; withdrawn when the case was reopened. `answer` is customer / churned /
    downgraded (`new_arr` then holds the ARR kept); `answered_by` a Slack user id or
    "stripe" when an active subscription answered by itself. `arr_saved` is the save's ARR
    (account currency); `saved_at` when the case was saved (UTC), so a re-save replaces it.
    """

    __tablename__ = "save_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    checkpoint: Mapped[str] = mapped_column(String(16))
    saved_at: Mapped[datetime]
    due_at: Mapped[datetime]
    arr_saved: Mapped[Decimal | None]
    state: Mapped[str] = mapped_column(String(12), default="pending")
    asked_to: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    answer: Mapped[str | None] = mapped_column(String(12))
    new_arr: Mapped[Decimal | None]
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("case_id", "checkpoint"),
        Index("ix_save_checkins_account_id", "account_id"),
        # the report joins each saved case to one checkpoint's answer from this index alone
        Index("ix_save_checkins_answer", "case_id", "checkpoint", "answer", "new_arr"),
    )
