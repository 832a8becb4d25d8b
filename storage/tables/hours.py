"""Each person's working hours, time off and the cases covered meanwhile (docs/hours.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class WorkingHours(Base):
    """A person's own working window (`/churn hours`), replacing the policy's business hours
    for them: `window` is "HH:MM-HH:MM" local to their Slack time zone, `days` weekday
    numbers (0 = Monday)."""

    __tablename__ = "working_hours"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    window: Mapped[str] = mapped_column(String(11))
    days: Mapped[list[int]] = mapped_column(JSON, default=list)
    set_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class TimeOff(Base):
    """A person away from `starts_at` to `ends_at` (UTC, half-open); `cover` is who they
    chose (None: the save desk, then a manager, decide when needed). `source`: "command",
    "home" or "status" (a Slack status the policy counts as away). `state`: "planned",
    "away", "back" or "cancelled"."""

    __tablename__ = "time_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    cover: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="planned")
    set_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    back_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_time_off_user", "user_id", "ends_at"),)


class CoveredCase(Base):
    """A case opened for someone away and given to `cover` meanwhile; handed back to
    `user_id` on their return (`handed_back_at`)."""

    __tablename__ = "covered_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    time_off_id: Mapped[int] = mapped_column(ForeignKey("time_off.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    cover: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    handed_back_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("time_off_id", "case_id"),)
