"""Typed SQLAlchemy models: the core of Savedesk's state.

Later features extend this through new Alembic migrations (storage/migrations/versions).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from storage.base import NAMING, Base, UTCDateTime
from storage.search import SEARCH_KEY_LENGTH, search_key
from storage.tables.checkins import SaveCheckin
from storage.tables.delivery import DeliveryPause, WaitingChannel
from storage.tables.finance import (
    MONEY,
    OPEN_INVOICE_SQL,
    Invoice,
    RenewalCheck,
    StripeSubscription,
)
from storage.tables.hours import CoveredCase, TimeOff, WorkingHours
from storage.tables.installations import SlackUninstall, slack_bots, slack_installations
from storage.tables.jobs import Heartbeat, Job
from storage.tables.outbox import OutboxMessage
from storage.tables.people import SlackUser
from storage.tables.reports import HomeView, StoredReport
from storage.tables.survey import SURVEY_ASKED_SQL, SurveyAnswer, SurveyEdit
from storage.tables.turnover import PlanStep, Turnover
from storage.tables.webhooks import WebhookDelivery
from storage.tables.writeback import WritebackRecord
from storage.vocab import OPEN_STATUSES

__all__ = [
    "MONEY",
    "NAMING",
    "OPEN_INVOICE_SQL",
    "OPEN_STATUSES",
    "SAVED_SQL",
    "SURVEY_ASKED_SQL",
    "Account",
    "AccountEvent",
    "Base",
    "Case",
    "CaseEvent",
    "CoveredCase",
    "DeliveryPause",
    "Heartbeat",
    "HomeView",
    "InboundEvent",
    "Invoice",
    "Job",
    "Offer",
    "OutboxMessage",
    "Person",
    "PlanStep",
    "RenewalCheck",
    "SaveCheckin",
    "ScheduledStep",
    "SlackUninstall",
    "SlackUser",
    "StoredReport",
    "StripeSubscription",
    "SurveyAnswer",
    "SurveyEdit",
    "TimeOff",
    "Turnover",
    "UTCDateTime",
    "WaitingChannel",
    "WebhookDelivery",
    "WorkingHours",
    "WritebackRecord",
    "slack_bots",
    "slack_installations",
]

_OPEN_SQL = "status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"


class Account(Base):
    """A customer. `external_id` is the key the team uses everywhere (CSV, webhooks, /churn)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    arr: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    segment: Mapped[str | None] = mapped_column(String(100))
    renewal_date: Mapped[date | None] = mapped_column(Date)
    csm: Mapped[str | None] = mapped_column(String(32))
    account_owner: Mapped[str | None] = mapped_column(String(32))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    hubspot_company_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    is_stub: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # `name` folded by storage.search.search_key, kept in step by `_fold_name`
    search_name: Mapped[str] = mapped_column(String(SEARCH_KEY_LENGTH), default="")

    __table_args__ = (
        Index(
            "ix_accounts_search_name",
            "search_name",
            postgresql_ops={"search_name": "varchar_pattern_ops"},  # LIKE 'key%' uses it
        ),
    )

    @validates("name")
    def _fold_name(self, _key: str, name: str) -> str:
        """Every write of `name` (constructor, import, stub) refreshes its search key."""
        self.search_name = search_key(name)
        return name


class Person(Base):
    """Cache of people references (emails, @groups) resolved to Slack user IDs."""

    __tablename__ = "people"

    ref: Mapped[str] = mapped_column(String(320), primary_key=True)
    user_ids: Mapped[list[str]] = mapped_column(JSON)
    resolved_at: Mapped[datetime]


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
    """The case timeline: who did what, when."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AccountEvent(Base):
    """Account-level history that outlives cases (e.g. a manager removed the CSM)."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)


class ScheduledStep(Base):
    """A follow-up due at a time; the unique key makes every step happen at most once."""

    __tablename__ = "scheduled_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "ix_steps_claim",
            "due_at",
            "id",
            sqlite_where=text("state IN ('pending', 'claimed')"),
            postgresql_where=text("state IN ('pending', 'claimed')"),
        ),
        Index("ix_steps_case_id", "case_id"),
    )


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


class InboundEvent(Base):
    """Every event we accepted from outside, so a retry never has a second effect."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(255))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    received_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("source", "external_id"),)


Index("ix_accounts_renewal_date", Account.renewal_date)

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
Index("ix_accounts_currency", Account.currency)  # the report's currency: an index-only count
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
