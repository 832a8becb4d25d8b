"""Tables of the main-contact-turnover playbook (docs/turnover.md): turnovers and
their action-plan steps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.vocab import Coverage, Destination, Learned, Replacement, RoleFate


# The answers of the main-contact-turnover playbook (docs/turnover.md), stored as the
# strings of storage/vocab.py's enums and checked by the database.
def _one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    listed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


class Turnover(Base):
    """One departed main contact on a churn-track case, with the playbook's answers.

    `learned_at` (UTC) starts the time at risk; `risk_ended_at` stops it when the plan's
    last step is done or the case closes, and `time_at_risk_seconds` keeps the difference.
    `lead_message_id` is the sales lead posted once for "another company" (edited in place).
    """

    __tablename__ = "turnovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(200))
    learned_timing: Mapped[str] = mapped_column(String(16))
    coverage: Mapped[str] = mapped_column(String(24))
    other_contact_name: Mapped[str | None] = mapped_column(String(200))
    destination: Mapped[str] = mapped_column(String(24))
    new_company: Mapped[str | None] = mapped_column(String(200))
    role_fate: Mapped[str] = mapped_column(String(24))
    replacement: Mapped[str] = mapped_column(String(24))
    competitor: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    learned_at: Mapped[datetime]
    risk_ended_at: Mapped[datetime | None]
    time_at_risk_seconds: Mapped[int | None] = mapped_column(Integer)
    lead_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    plan_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        _one_of("learned_timing", Learned),
        _one_of("coverage", Coverage),
        _one_of("destination", Destination),
        _one_of("role_fate", RoleFate),
        _one_of("replacement", Replacement),
    )


class PlanStep(Base):
    """One step of a turnover's action plan; `key` is stable across re-derivations so a
    done step stays done when the answers change."""

    __tablename__ = "plan_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    turnover_id: Mapped[int] = mapped_column(ForeignKey("turnovers.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(32))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_by: Mapped[str | None] = mapped_column(String(32))
    done_at: Mapped[datetime | None]
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("turnover_id", "key"),)
