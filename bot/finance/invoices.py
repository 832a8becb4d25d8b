"""Recording invoices (from Stripe or the CSV) and placing them on the dunning ladder.

Out-of-order events: Stripe may deliver `invoice.paid` before `invoice.finalized`, or the
same event three times (Stripe docs, "Webhooks: event ordering"; "Handle duplicate
events"). We never trust arrival: an event's view of the invoice replaces ours only if its
status is further along (draft < open < uncollectible < paid / void) or, at the same
status, its event is not older than the one we applied. So a later `invoice.paid` always
wins over an earlier-dated `invoice.finalized`, whichever arrives first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.common.vocab import InvoiceStatus
from bot.policy import DunningStep
from storage import accounts as account_store
from storage import finance as store
from storage.models import Account, Invoice

STATUS_RANK = {
    InvoiceStatus.DRAFT: 0,
    InvoiceStatus.OPEN: 1,
    InvoiceStatus.UNCOLLECTIBLE: 2,
    InvoiceStatus.PAID: 3,
    InvoiceStatus.VOID: 3,
}
CLOSED = frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE})
"""Statuses that stop the ladder: nothing more is sent for them."""
_DAWN = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class InvoiceFields:
    """What a source says about an invoice; amounts in major units of `currency`."""

    invoice_id: str
    amount_due: Decimal
    amount_remaining: Decimal
    currency: str
    due_date: date | None
    status: str
    source: str
    hosted_invoice_url: str | None = None
    subscription_id: str | None = None


class RecordOutcome(StrEnum):
    """What recording an invoice did (`Recorded.outcome`)."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"  # an older or less advanced view: ignored


@dataclass(frozen=True)
class Recorded:
    """The stored invoice and what happened: created, updated, unchanged, or stale (an
    older or less advanced view that was ignored)."""

    invoice: Invoice
    outcome: RecordOutcome


def supersedes(status: str, at: datetime | None, invoice: Invoice) -> bool:
    """Does a view with `status` from an event created `at` replace the stored one?"""
    new = (STATUS_RANK.get(status, 0), at or _DAWN)
    old = (STATUS_RANK.get(invoice.status, 0), invoice.last_event_at or _DAWN)
    return new >= old


def next_step_on(invoice: Invoice, steps: tuple[DunningStep, ...]) -> date | None:
    """The calendar day the invoice reaches its next ladder step, or None when nothing is
    to come (closed, nothing remaining, no due date, or past the last step)."""
    if (
        invoice.status != InvoiceStatus.OPEN
        or invoice.due_date is None
        or invoice.amount_remaining <= 0
    ):
        return None
    for step in steps:
        if step.days_past_due > invoice.dunning_days:
            return invoice.due_date + timedelta(days=step.days_past_due)
    return None


def record(
    session: Session,
    steps: tuple[DunningStep, ...],
    account: Account,
    fields: InvoiceFields,
    now: datetime,
    *,
    event_at: datetime | None = None,
    force: bool = False,
) -> Recorded:
    """Create or update an invoice and its place on the ladder (one unit of work).

    `event_at` is the Stripe event's `created`; `force` (the operator's CSV) applies the
    row whatever we knew. A closed invoice gets its pending ladder steps cancelled.
    """
    invoice = store.invoice(session, fields.invoice_id, lock=True)
    if invoice is None:
        invoice = Invoice(
            invoice_id=fields.invoice_id, dunning_days=0, created_at=now, account_id=account.id
        )
        _assign(invoice, account, fields, event_at)
        invoice.updated_at = now
        invoice.next_step_on = next_step_on(invoice, steps)
        session.add(invoice)
        session.flush()
        return Recorded(invoice, RecordOutcome.CREATED)
    if not force and not supersedes(fields.status, event_at, invoice):
        return Recorded(invoice, RecordOutcome.STALE)
    before = _snapshot(invoice)
    _assign(invoice, account, fields, event_at if event_at else invoice.last_event_at)
    invoice.next_step_on = next_step_on(invoice, steps)
    if _snapshot(invoice) == before:
        return Recorded(invoice, RecordOutcome.UNCHANGED)
    invoice.updated_at = now
    if invoice.status in CLOSED:
        store.cancel_dunning_steps(session, invoice.id, now)
    return Recorded(invoice, RecordOutcome.UPDATED)


def _assign(
    invoice: Invoice, account: Account, fields: InvoiceFields, event_at: datetime | None
) -> None:
    invoice.account_id = account.id
    invoice.amount_due = fields.amount_due
    invoice.amount_remaining = fields.amount_remaining
    invoice.currency = fields.currency
    invoice.due_date = fields.due_date
    invoice.status = fields.status
    invoice.source = fields.source
    invoice.last_event_at = event_at
    if fields.hosted_invoice_url is not None:
        invoice.hosted_invoice_url = fields.hosted_invoice_url
    if fields.subscription_id is not None:
        invoice.stripe_subscription_id = fields.subscription_id


def _snapshot(invoice: Invoice) -> tuple[object, ...]:
    return (
        invoice.account_id,
        Decimal(invoice.amount_due),
        Decimal(invoice.amount_remaining),
        invoice.currency,
        invoice.due_date,
        invoice.status,
        invoice.hosted_invoice_url,
        invoice.stripe_subscription_id,
        invoice.next_step_on,
        invoice.last_event_at,
    )


def stripe_account(session: Session, customer_id: str, name: str | None, now: datetime) -> Account:
    """The account linked to a Stripe customer; an unknown customer becomes a stub account
    (external id = the customer id) that says so, to be filled by an accounts import."""
    account = account_store.by_stripe_customer(session, customer_id)
    if account is not None:
        return account
    account = account_store.stub(session, customer_id, now, name=name)
    if account.stripe_customer_id is None:
        account.stripe_customer_id = customer_id
        session.flush()
    return account
