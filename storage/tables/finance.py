"""Tables of finance: invoices on the dunning ladder, Stripe subscriptions, pre-renewal
checks (docs/dunning.md and docs/stripe.md)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
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
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

MONEY = Numeric(18, 3)
"""Invoice amounts in major units of their currency; three decimals fit BHD, KWD, JOD..."""

OPEN_INVOICE_SQL = "status = 'open'"
"""Literal predicate of `ix_invoices_ladder`: the ladder query repeats it word for word so
SQLite and PostgreSQL (generic plans) use the partial index."""
CLOSED_INVOICE_SQL = "status IN ('paid', 'void', 'uncollectible')"
"""Literal predicate of `ix_invoices_closed` (closed invoices by their last recorded change:
the report's overdue invoices as the previous period ended, docs/reports.md *Trend*)."""


class Invoice(Base):
    """An invoice from Stripe or the invoices CSV, and where it stands on the dunning ladder.

    Amounts are in the invoice's currency, major units (Stripe's minor units converted with
    the currency's decimals). `last_event_at` is the `created` time of the Stripe event whose
    state we keep, so events arriving out of order never move an invoice backwards.
    `dunning_days` is the highest ladder step reached (0: none); `next_step_on` the calendar
    day, in the policy's timezone, on which the next step is due (NULL: nothing to come).
    """

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(255), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount_due: Mapped[Decimal] = mapped_column(MONEY)
    amount_remaining: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    hosted_invoice_url: Mapped[str | None] = mapped_column(Text)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(16))
    last_event_at: Mapped[datetime | None]
    dunning_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_step_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index(
            "ix_invoices_ladder",
            "next_step_on",
            "id",
            sqlite_where=text(OPEN_INVOICE_SQL),
            postgresql_where=text(OPEN_INVOICE_SQL),
        ),
        Index(
            "ix_invoices_closed",
            "updated_at",
            "created_at",
            "due_date",
            "dunning_days",
            "amount_remaining",
            "amount_due",
            sqlite_where=text(CLOSED_INVOICE_SQL),
            postgresql_where=text(CLOSED_INVOICE_SQL),
        ),
    )


class StripeSubscription(Base):
    """The last known state of a Stripe subscription, so a change (cancel_at_period_end
    turned true, then back false) is recognised whatever order the events arrive in.

    `arr` is the annual value of its items in `currency` (major units); `involuntary` is
    True when Stripe's `cancellation_details.reason` is payment_failed / payment_disputed.
    """

    __tablename__ = "stripe_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(255), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_at: Mapped[datetime | None]
    cancellation_reason: Mapped[str | None] = mapped_column(String(64))
    cancellation_feedback: Mapped[str | None] = mapped_column(String(64))
    cancellation_comment: Mapped[str | None] = mapped_column(Text)
    involuntary: Mapped[bool] = mapped_column(Boolean, default=False)
    arr: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(3))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    last_event_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RenewalCheck(Base):
    """The pre-renewal question ("OK to send the renewal invoice?"), once per account and
    renewal date: when the CSM was asked, and the answer (`yes` / `hold` with a reason),
    who gave it and when. `case_id` links an open churn case at the time of asking."""

    __tablename__ = "renewal_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    renewal_date: Mapped[date] = mapped_column(Date)
    asked_at: Mapped[datetime]
    asked_to: Mapped[str | None] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    answer: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(32))
    """Who released a Hold (the invoice may go out after all), and when."""
    released_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("account_id", "renewal_date"),)
