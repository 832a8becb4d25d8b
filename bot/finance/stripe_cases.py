"""Stripe events that concern cases, applied in the event's own unit of work.

- `cancel_at_period_end` turned true (or `cancel_at` set) → a cancellation case, source
  Stripe, the customer's `cancellation_details.feedback` / `comment` as the stated reason,
  ARR from the subscription's items when the account has none;
- turned back false → "customer withdrew the cancellation in Stripe" on the open case;
- `customer.subscription.deleted` → the open churn case becomes churned through the case
  lifecycle; with none open, one is opened and churned at once (the survey still
  happens). `cancellation_details.reason` payment_failed / payment_disputed is
  involuntary churn, kept in `cases.details["involuntary"]` so reports split it;
- `invoice.payment_failed` → a `payment_failed` signal (payment track; the policy routes
  it, to finance by default). The CSM is never made the owner of a collection.
Every case is opened through the one SignalService.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.cases.models import Signal
from bot.cases.service import CaseService
from bot.common.formatting import money
from bot.common.text import esc
from bot.common.vocab import CaseEventType, CaseStatus, Kind, Track
from bot.finance.stripe_events import InvoiceState, StripeEvent, SubscriptionState
from bot.finance.stripe_service import Change
from bot.signals.service import SignalService
from storage import cases as case_store
from storage.models import OPEN_STATUSES, Account, Case, StripeSubscription

SOURCE = "Stripe"
WITHDRAWN = "customer withdrew the cancellation in Stripe"
FEEDBACK_WORDS = {  # Stripe's cancellation_details.feedback values
    "customer_service": "customer service was less than expected",
    "low_quality": "quality was less than expected",
    "missing_features": "some features are missing",
    "other": "other reason",
    "switched_service": "switched to a different service",
    "too_complex": "ease of use was less than expected",
    "too_expensive": "it's too expensive",
    "unused": "don't use the service enough",
}
REASON_WORDS = {
    "cancellation_requested": "the customer cancelled",
    "payment_failed": "payment failed (involuntary churn)",
    "payment_disputed": "payment disputed (involuntary churn)",
}


def stated_reason(state: SubscriptionState) -> str:
    """The customer's own words from Stripe: feedback choice and free-text comment."""
    parts = [FEEDBACK_WORDS.get(state.feedback, state.feedback)] if state.feedback else []
    if state.comment:
        parts.append(f'"{state.comment[:1000]}"')
    return esc("; ".join(parts)) if parts else "Cancellation scheduled in Stripe"


class StripeCases:
    """The case side of Stripe events; `StripeService` calls it inside each event's unit."""

    def __init__(self, signals: SignalService, cases: CaseService) -> None:
        self.signals = signals
        self.cases = cases

    def subscription(
        self,
        session: Session,
        account: Account,
        row: StripeSubscription,
        state: SubscriptionState,
        change: Change,
        now: datetime,
    ) -> int | None:
        """Apply a subscription change; returns the case it opened or touched."""
        if change is Change.CANCEL_REQUESTED:
            return self._cancellation(session, account, row, state, now).id
        case = self._open_churn_case(session, account, row)
        if change is Change.CANCEL_WITHDRAWN:
            if case is None:
                return None
            self.cases.timeline.by_system(session, case, CaseEventType.STRIPE, f"The {WITHDRAWN}.")
            return case.id
        if case is None:
            case = self._cancellation(session, account, row, state, now)
        self._mark_churn(case, state)
        why = REASON_WORDS.get(state.reason or "", "the subscription ended in Stripe")
        self.cases.lifecycle.transition(
            session,
            case,
            account,
            CaseStatus.CHURNED,
            None,
            f"subscription ended: {why}",
            {"involuntary": state.involuntary},
            by=SOURCE,
        )
        return case.id

    def _cancellation(
        self,
        session: Session,
        account: Account,
        row: StripeSubscription,
        state: SubscriptionState,
        now: datetime,
    ) -> Case:
        details: dict[str, Any] = {"stripe_subscription": state.subscription_id}
        if state.cancel_at is not None:
            details["cancel_at"] = state.cancel_at.isoformat()
        signal = Signal(
            kind=Kind.CANCELLATION,
            source=SOURCE,
            summary=stated_reason(state),
            arr=state.arr if account.arr is None else None,
            dedupe=("stripe-cancel", f"{state.subscription_id}:{int(now.timestamp())}"),
            details=details,
        )
        opened = self.signals.open_in(session, account.id, signal)
        case = session.get(Case, opened.case_id)
        assert case is not None
        return case

    def _open_churn_case(
        self, session: Session, account: Account, row: StripeSubscription
    ) -> Case | None:
        """The subscription's own case if still open, else the account's open churn case."""
        if row.case_id is not None:
            case = case_store.get_locked(session, row.case_id)  # a ladder step may be at it
            if case is not None and case.status in OPEN_STATUSES:
                return case
        return self.cases.open_case_of(session, account.id, Track.CHURN)

    @staticmethod
    def _mark_churn(case: Case, state: SubscriptionState) -> None:
        case.details = {
            **(case.details or {}),
            "involuntary": state.involuntary,
            "cancellation_reason": state.reason,
        }

    def payment_failed(
        self,
        session: Session,
        account: Account,
        state: InvoiceState,
        event: StripeEvent,
        now: datetime,
    ) -> int | None:
        """`invoice.payment_failed` → a payment_failed signal for the payment track."""
        remaining = money(state.amount_remaining, state.currency)
        signal = Signal(
            kind=Kind.PAYMENT_FAILED,
            source=SOURCE,
            summary=f"Payment failed for invoice {esc(state.invoice_id)} ({remaining} due)",
            link=state.hosted_invoice_url,
            dedupe=("stripe-payment-failed", event.id),
            details={"invoice": state.invoice_id},
        )
        return self.signals.open_in(session, account.id, signal).case_id
