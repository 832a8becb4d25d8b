"""Stripe webhook events → invoices, subscription states (and, through them, cases).

One unit of work per event: the event id is remembered in `inbound_events` in the same
transaction as its effect, so a retried event has no second effect and a failed one can
be retried by Stripe (Stripe docs, "Webhooks: handle duplicate events"). Unknown event
types are ignored and not remembered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.common.clock import Clock
from bot.finance import invoices
from bot.finance.invoices import RecordOutcome
from bot.finance.stripe_events import (
    INVOICE_TYPES,
    SUBSCRIPTION_TYPES,
    InvoiceState,
    StripeEvent,
    SubscriptionState,
    invoice_state,
    subscription_state,
)
from bot.policy import Policy
from storage import finance as store
from storage.db import Database
from storage.models import Account, StripeSubscription

log = logging.getLogger(__name__)


class Change(StrEnum):
    """What a subscription event changed, as far as churn is concerned."""

    CANCEL_REQUESTED = "cancel_requested"  # cancel_at_period_end turned true / cancel_at set
    CANCEL_WITHDRAWN = "cancel_withdrawn"  # turned back before the subscription ended
    ENDED = "ended"  # customer.subscription.deleted


class EventOutcome(StrEnum):
    """What became of one Stripe event (the webhook's answer, handlers/webhooks/stripe.py)."""

    RECORDED = "recorded"
    DUPLICATE = "duplicate"  # seen before
    IGNORED = "ignored"  # a type we do not handle
    STALE = "stale"  # older than what we know: remembered, no effect


@dataclass
class Handled:
    """The answer to one event: `recorded`, `duplicate` (seen before), `ignored` (a type we
    do not handle) or `stale` (older than what we know; remembered, no effect)."""

    outcome: EventOutcome
    event: StripeEvent | None = None
    invoice_id: str | None = None
    change: Change | None = None
    case_id: int | None = None
    notes: list[str] = field(default_factory=list)


SubscriptionHook = Callable[
    [Session, Account, StripeSubscription, SubscriptionState, Change, datetime], int | None
]
"""Turns a subscription change into a case (inside the event's unit of work); returns the
case id it opened or touched."""
InvoiceHook = Callable[[Session, Account, InvoiceState, StripeEvent, datetime], int | None]
"""Acts on `invoice.payment_failed` (a payment_failed signal) inside the unit of work."""


class StripeService:
    """Applies verified Stripe events; `on_subscription` / `on_payment_failed` connect
    the case side (cases are opened through the signal service); `prepare` resolves
    people before a unit of work starts."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        *,
        on_subscription: SubscriptionHook | None = None,
        on_payment_failed: InvoiceHook | None = None,
        prepare: Callable[[], object] | None = None,
    ) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.on_subscription = on_subscription
        self.on_payment_failed = on_payment_failed
        self.prepare = prepare

    def receive(self, event: StripeEvent) -> Handled:
        """Apply one event once. Raises BadEvent (before any write) when the object lacks
        what we need (its id or customer)."""
        if event.type in INVOICE_TYPES:
            inv = invoice_state(event, self.policy.timezone)
            return self._once(event, lambda s, now: self._invoice(s, event, inv, now))
        if event.type in SUBSCRIPTION_TYPES:
            sub = subscription_state(event)
            return self._once(event, lambda s, now: self._subscription(s, event, sub, now))
        return Handled(EventOutcome.IGNORED, event)

    def _once(self, event: StripeEvent, apply: Callable[[Session, datetime], Handled]) -> Handled:
        if self.prepare is not None:
            self.prepare()
        for attempt in range(2):
            try:
                with self.db.session() as session:
                    now = self.clock.now()
                    if not store.remember_event(session, store.STRIPE, event.id, now):
                        return Handled(EventOutcome.DUPLICATE, event)
                    handled = apply(session, now)
                    if handled.case_id is not None:
                        store.link_event_case(session, store.STRIPE, event.id, handled.case_id)
                    return handled
            except IntegrityError:  # a concurrent event created the same stub or row
                if attempt:
                    raise
                log.info("stripe event %s raced another; applying it again", event.id)
        raise AssertionError("unreachable")

    def _invoice(
        self, session: Session, event: StripeEvent, state: InvoiceState, now: datetime
    ) -> Handled:
        account = invoices.stripe_account(session, state.customer_id, state.customer_name, now)
        fields = invoices.InvoiceFields(
            invoice_id=state.invoice_id,
            amount_due=state.amount_due,
            amount_remaining=state.amount_remaining,
            currency=state.currency,
            due_date=state.due_date,
            status=state.status,
            source=store.STRIPE,
            hosted_invoice_url=state.hosted_invoice_url,
            subscription_id=state.subscription_id,
        )
        recorded = invoices.record(
            session, self.policy.dunning.steps, account, fields, now, event_at=event.created
        )
        handled = Handled(
            EventOutcome.STALE
            if recorded.outcome == RecordOutcome.STALE
            else EventOutcome.RECORDED,
            event,
            state.invoice_id,
        )
        if event.type == "invoice.payment_failed" and self.on_payment_failed is not None:
            handled.case_id = self.on_payment_failed(session, account, state, event, now)
        return handled

    def _subscription(
        self, session: Session, event: StripeEvent, state: SubscriptionState, now: datetime
    ) -> Handled:
        account = invoices.stripe_account(session, state.customer_id, None, now)
        row = store.subscription(session, state.subscription_id, lock=True)
        before = _view(row)
        if row is not None and not _newer(event, state, row):
            return Handled(EventOutcome.STALE, event)
        row = _store(session, row, account, state, event.created, now)
        change = _change(before, state)
        handled = Handled(EventOutcome.RECORDED, event, change=change)
        if change is not None and self.on_subscription is not None:
            handled.case_id = self.on_subscription(session, account, row, state, change, now)
            if handled.case_id is not None:
                row.case_id = handled.case_id
        return handled


def _view(row: StripeSubscription | None) -> tuple[bool, str] | None:
    """(cancelling, status) as we knew it before this event, None if never seen."""
    if row is None:
        return None
    cancelling = (row.cancel_at_period_end or row.cancel_at is not None) and (
        row.status != "canceled"
    )
    return cancelling, row.status


def _newer(event: StripeEvent, state: SubscriptionState, row: StripeSubscription) -> bool:
    """An ended subscription stays ended; otherwise the later event wins."""
    if row.status == "canceled":
        return False
    return state.status == "canceled" or event.created >= row.last_event_at


def _change(before: tuple[bool, str] | None, state: SubscriptionState) -> Change | None:
    if state.status == "canceled":
        return Change.ENDED
    was_cancelling = before[0] if before else False
    if state.cancelling and not was_cancelling:
        return Change.CANCEL_REQUESTED
    if was_cancelling and not state.cancelling:
        return Change.CANCEL_WITHDRAWN
    return None


def _store(
    session: Session,
    row: StripeSubscription | None,
    account: Account,
    state: SubscriptionState,
    event_at: datetime,
    now: datetime,
) -> StripeSubscription:
    if row is None:
        row = StripeSubscription(subscription_id=state.subscription_id, created_at=now)
        session.add(row)
    row.account_id = account.id
    row.status = state.status
    row.cancel_at_period_end = state.cancel_at_period_end
    row.cancel_at = state.cancel_at
    row.cancellation_reason = state.reason
    row.cancellation_feedback = state.feedback
    row.cancellation_comment = state.comment
    row.involuntary = state.involuntary
    if state.arr is not None:
        row.arr, row.currency = state.arr, state.currency
    row.last_event_at = event_at
    row.updated_at = now
    session.flush()
    return row
