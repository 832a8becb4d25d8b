"""Typed SQLAlchemy models: the core of Savedesk's state.

Later features extend this through new Alembic migrations (storage/migrations/versions).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.vocab import OPEN_STATUSES

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_OPEN_SQL = "status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"


class UTCDateTime(TypeDecorator[datetime]):
    """Always UTC-aware in Python, whatever the database keeps (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        Decimal: Numeric(14, 2),
        dict: JSON,
    }


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
    is_stub: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_accounts_lower_name", text("lower(name)")),)


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
    last_action_at: Mapped[datetime | None]
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

    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)


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


# --- reports ---

_CLOSED_SQL = "closed_at IS NOT NULL"


class StoredReport(Base):
    """One generated revenue-at-risk report (contract section 7, *Report*): the figures as
    JSON (bot/reports/model.py reads them back), so the chart that goes with a post is drawn
    from exactly the numbers that were posted, however often its upload is retried.

    `period` is week / month / quarter; `period_start`/`period_end` are UTC; `channel` and
    `thread_ts` say where it was asked for (None for the terminal); `message_id` is the post.
    """

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    generated_at: Mapped[datetime]
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    channel: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    requested_by: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))

    __table_args__ = (Index("ix_reports_generated_at", "generated_at"),)


class HomeView(Base):
    """The last App Home published to a leader by the refresh after case changes: when,
    and the newest case event it showed, so each leader gets at most one refresh a minute
    and none while nothing changed."""

    __tablename__ = "home_views"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    published_at: Mapped[datetime]
    event_id: Mapped[int] = mapped_column(Integer)


# The report's aggregates read only these indexes: open cases by track and kind (partial,
# covering), and closed cases by track and closing time (covering).
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
# --- survey ---

SURVEY_ASKED_SQL = "status = 'asked'"


class SurveyAnswer(Base):
    """The cancellation survey of one churn of a case (contract section 7, *Survey*).

    `churn_number` counts the case's churns (1, 2, … after a Reopen), so each churn gets
    its own row; at most one row per case is `asked` (open) at a time. `root_cause` is the
    policy reason's key, not its label, so labels can be renamed; `competitor_key` is the
    competitor normalised for counting ("Rivalsoft" and "rivalsoft " are one). `arr_lost`
    is the case's ARR at risk when it churned, in the account's currency.
    """

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    churn_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="asked")
    involuntary: Mapped[bool] = mapped_column(Boolean, default=False)
    asked_to: Mapped[str | None] = mapped_column(String(32))
    asked_at: Mapped[datetime]
    arr_lost: Mapped[Decimal | None]
    stated_reason: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(String(64))
    controllable: Mapped[bool | None] = mapped_column(Boolean)
    competitor: Mapped[str | None] = mapped_column(String(200))
    competitor_key: Mapped[str | None] = mapped_column(String(200))
    tried: Mapped[str | None] = mapped_column(Text)
    would_come_back: Mapped[str | None] = mapped_column(String(8))
    notes: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None]
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("case_id", "churn_number"),
        Index(
            "uq_survey_answers_one_open",
            "case_id",
            unique=True,
            sqlite_where=text(SURVEY_ASKED_SQL),
            postgresql_where=text(SURVEY_ASKED_SQL),
        ),
        Index("ix_survey_answers_answered", "status", "answered_at"),
        Index("ix_survey_answers_competitor_key", "competitor_key"),
    )


class SurveyEdit(Base):
    """One amendment of a saved survey: who, when, and each changed field as
    `{field: [old, new]}` (the case timeline gets a readable line as well)."""

    __tablename__ = "survey_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("survey_answers.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
