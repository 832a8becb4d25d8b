"""Cases: one cancellation or churn risk each, its timeline, and the events from outside
already accepted (so a retry never has a second effect); the report's indexes on cases
(storage/report_*.py). Queries in storage/cases.py."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.vocab import OPEN_STATUSES

_OPEN_SQL = "status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"


class Case(Base):
    """One cancellation or churn risk, with one owner and one Slack thread."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    track: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="new")
    risk: Mapped[str] = mapped_column(String(8), default="medium")
    owner: Mapped[str | None] = mapped_column(String(32))
    stated_reason: Mapped[str | None] = mapped_column(Text)
    arr_at_risk: Mapped[Decimal | None]
    renewal_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(64))
    source_link: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(32))
    csm: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    root_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    arr_saved: Mapped[Decimal | None]
    offer_cost: Mapped[Decimal | None]
    arr_kept: Mapped[Decimal | None]
    """What a save still brings in after a check-in said churned (0) or downgraded (the new
    ARR); None while no check-in changed it (docs/reports.md, *Did the save last?*)."""
    last_action_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    """The first act of the owner or a manager (the escalation ladder stopped there); the
    stage time *to acknowledge* ends here (docs/reports.md, *Stage times*)."""
    snoozed_until: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "uq_cases_open_per_track",
            "account_id",
            "track",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
    )


class CaseEvent(Base):
    """The case timeline: who did what, when; `type` is a `CaseEventType` value."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class InboundEvent(Base):
    """Every event we accepted from outside, so a retry never has a second effect."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(255))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    received_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("source", "external_id"),)


_CLOSED_SQL = "closed_at IS NOT NULL"

Index(
    "ix_cases_report_open",
    Case.track,
    Case.kind,
    Case.risk,
    Case.arr_at_risk,
    Case.created_at,
    Case.id,  # joins to plans read the index alone (SQLite's indexes carry the rowid anyway)
    sqlite_where=text(_OPEN_SQL),
    postgresql_where=text(_OPEN_SQL),
)
SAVED_SQL = "status = 'saved'"
# Saves that lasted and net of concessions (storage/report_trust.py) read saved cases by
# closing time with their ARR, concession cost and ARR kept from this index alone.
Index(
    "ix_cases_report_saved",
    Case.track,
    Case.closed_at,
    Case.id,
    Case.arr_saved,
    Case.arr_at_risk,
    Case.offer_cost,
    Case.arr_kept,
    sqlite_where=text(SAVED_SQL),
    postgresql_where=text(SAVED_SQL),
)
Index(
    "ix_cases_report_closed",
    Case.track,
    Case.closed_at,
    Case.status,
    Case.kind,
    Case.arr_at_risk,
    Case.arr_saved,
    sqlite_where=text(_CLOSED_SQL),
    postgresql_where=text(_CLOSED_SQL),
)

# Stage times (storage/report_stages.py): each clock that stopped in a window, read by the
# time it stopped with the case's kind, owner and opening time; and the oldest open cases.
Index(
    "ix_cases_report_acknowledged",
    Case.track,
    Case.acknowledged_at,
    Case.kind,
    Case.owner,
    Case.created_at,
    sqlite_where=text("acknowledged_at IS NOT NULL"),
    postgresql_where=text("acknowledged_at IS NOT NULL"),
)
Index(
    "ix_cases_report_closing",
    Case.track,
    Case.closed_at,
    Case.kind,
    Case.owner,
    Case.created_at,
    sqlite_where=text(_CLOSED_SQL),
    postgresql_where=text(_CLOSED_SQL),
)
Index(
    "ix_cases_open_oldest",
    Case.track,
    Case.created_at,
    Case.id,
    sqlite_where=text(_OPEN_SQL),
    postgresql_where=text(_OPEN_SQL),
)
