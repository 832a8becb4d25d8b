"""Write-back to Stripe as durable jobs (docs/stripe.md, *Write-back to Stripe*).

A renewal answer and an offer the customer accepted queue a job in the same unit of work
(`renewal_answered`, `offer_accepted`), so nothing reaches Stripe before the decision committed and
no Slack listener waits on Stripe. A worker makes the calls (bot/writeback/stripe_api.py:
idempotency keys, refusals with Stripe's message) and, in one unit of work, says in the
thread what was done, with the object's id, and completes the job. A job that runs again
finds its first effect: Stripe replays the keyed answer, and the subscription's
`savedesk_offer_<id>` / pause state (the customer's `savedesk_offer` balance transaction) says
it is done already. When Stripe replays a 5xx it saved for a key (`Replayed`), the run reads
that state again and writes with keys salted by the job's attempt, so a passing Stripe
failure does not fail every retry for a day.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.timeline import Timeline
from bot.common.clock import Clock
from bot.common.formatting import money
from bot.common.vocab import CaseEventType, OfferOutcome, RenewalAnswer
from bot.finance.money import decimals
from bot.runtime.jobs import Claimed, Done, Handler, JobKind
from bot.writeback.offers import Plan, PlanKind, plan_for
from bot.writeback.stripe_api import Refusal, Replayed, StripeBilling, Subscription
from storage import cases
from storage import jobs as job_rows
from storage.db import Database
from storage.models import Account, Case, Offer, OutboxMessage, RenewalCheck

HOLD_BEHAVIOR = "keep_as_draft"
"""`pause_collection.behavior`: the renewal invoice is created but stays a draft, neither
sent nor charged, until collection resumes (Stripe docs, "Pause payment collection")."""


class RenewalAction(StrEnum):
    """What a renewal check's job does to the subscription (its payload's `action`)."""

    HOLD = "hold"
    RELEASE = "release"


GOES_OUT = "the renewal invoice goes out"
BY_HAND = "apply it by hand"


def mark(offer_id: int) -> str:
    """The subscription metadata key that says an offer was applied."""
    return f"savedesk_offer_{offer_id}"


def renewal_answered(
    session: Session, check: RenewalCheck, account: Account, now: datetime
) -> None:
    """RenewalChecks listener: Hold pauses collection, Yes (or a release) resumes it; the
    job is queued with the decision (a function: it needs no service, docs/ARCHITECTURE.md,
    *Composition root*)."""
    held = check.answer == RenewalAnswer.HOLD and check.released_at is None
    action = RenewalAction.HOLD if held else RenewalAction.RELEASE
    job_rows.add(session, JobKind.STRIPE_RENEWAL, {"check": check.id, "action": action}, now)


def offer_accepted(
    session: Session,
    case: Case,
    actor: str | None,
    type: CaseEventType,
    details: dict[str, Any],
    at: datetime,
) -> None:
    """Timeline listener: the customer accepted an approved offer."""
    if type == CaseEventType.OFFER_ACCEPTED and details.get("offer_id"):
        job_rows.add(session, JobKind.STRIPE_OFFER, {"offer": details["offer_id"]}, at)


class StripeWriteBack:
    """Queues and runs the Stripe write-back jobs."""

    def __init__(
        self, db: Database, clock: Clock, billing: StripeBilling, timeline: Timeline
    ) -> None:
        self.db = db
        self.clock = clock
        self.billing = billing
        self.timeline = timeline

    def handlers(self) -> dict[JobKind, Handler]:
        return {JobKind.STRIPE_RENEWAL: self.run_renewal, JobKind.STRIPE_OFFER: self.run_offer}

    def give_up(self, job: Claimed, reference: str) -> None:
        """After the job system's last try (Stripe unreachable or failing for minutes): the
        thread says nothing may have happened in Stripe, so a person checks."""
        text = (
            f"Stripe did not answer after {job.attempt} tries (reference {reference}); check "
            "Stripe and act by hand if nothing changed there."
        )
        with self.db.session() as session:
            if job.kind == JobKind.STRIPE_RENEWAL:
                check = session.get(RenewalCheck, int(job.payload["check"]))
                if check is not None:
                    self._renewal_line(session, check, text)
                return
            offer = session.get(Offer, int(job.payload["offer"]))
            case = cases.get_locked(session, offer.case_id) if offer else None
            if case is not None:
                line = f"Stripe, save offer #{offer.id}: {text}" if offer else text
                self.timeline.by_system(session, case, CaseEventType.STRIPE_WRITEBACK, line)

    # -- the renewal invoice -------------------------------------------------------------

    def run_renewal(self, job: Claimed, done: Done) -> None:
        check_id, action = int(job.payload["check"]), str(job.payload["action"])
        with self.db.read() as session:
            check = session.get(RenewalCheck, check_id)
            account = session.get(Account, check.account_id) if check else None
            customer = account.stripe_customer_id if account else None
        try:
            text = self._renewal_text(check_id, action, customer)
        except Replayed:
            text = self._renewal_text(check_id, action, customer, salt=retry_salt(job))
        with self.db.session() as session:
            check = session.get(RenewalCheck, check_id)
            if check is not None:
                self._renewal_line(session, check, text)
            done(session)

    def _renewal_text(
        self, check_id: int, action: str, customer: str | None, salt: str = ""
    ) -> str:
        if customer is None:
            return "Stripe: this account has no Stripe customer; hold or send the invoice by hand."
        try:
            sub = self.billing.live_subscription(customer)
            if sub is None:
                return f"Stripe: {customer} has no active subscription; nothing was changed."
            key = f"savedesk-renewal-{check_id}-{action}{salt}"
            if action == RenewalAction.HOLD:
                if not sub.paused:
                    params = {"pause_collection": {"behavior": HOLD_BEHAVIOR}}
                    self.billing.update_subscription(sub.id, params, key)
                return (
                    f"Stripe: collection paused on subscription {sub.id}: its renewal invoice "
                    "stays a draft, neither sent nor charged, until the hold is released."
                )
            if sub.paused:
                self.billing.update_subscription(sub.id, {"pause_collection": ""}, key)
            finalized, refused = [], []
            for invoice in self.billing.held_renewals(sub.id):  # made while paused: drafts
                key = f"savedesk-renewal-{check_id}-finalize-{invoice}{salt}"
                try:
                    self.billing.finalize(invoice, key)
                    finalized.append(invoice)
                except Refusal as refusal:  # collection resumed all the same: say both
                    refused.append(f"Stripe refused to finalize renewal invoice {invoice} "
                                   f"({refusal}): finalize or void it by hand")  # fmt: skip
            return _released(sub, finalized, refused)
        except Refusal as refusal:
            return f"Stripe refused ({refusal}); nothing was changed there, act by hand."

    def _renewal_line(self, session: Session, check: RenewalCheck, text: str) -> None:
        now = self.clock.now()
        case = cases.get_locked(session, check.case_id) if check.case_id else None
        question = session.get(OutboxMessage, check.message_id) if check.message_id else None
        if question is not None:
            outbox.reply(session, now, question, text)
        if case is not None:
            self.timeline.by_system(
                session, case, CaseEventType.STRIPE_WRITEBACK, text, {"check": check.id}
            )

    # -- accepted save offers ------------------------------------------------------------

    def run_offer(self, job: Claimed, done: Done) -> None:
        offer_id = int(job.payload["offer"])
        with self.db.read() as session:
            offer = session.get(Offer, offer_id)
            case = session.get(Case, offer.case_id) if offer else None
            account = session.get(Account, case.account_id) if case else None
            ready = (
                offer is not None and offer.outcome == OfferOutcome.ACCEPTED and account is not None
            )
            plan = plan_for(offer) if ready and offer else None
            facts = (account.stripe_customer_id, account.currency) if account else (None, "USD")
        if plan is None:  # never before approval and acceptance both committed
            with self.db.session() as session:
                done(session)
            return
        try:
            done_text = self._apply(offer_id, plan, *facts)
        except Replayed:
            done_text = self._apply(offer_id, plan, *facts, salt=retry_salt(job))
        text = f"Stripe, save offer #{offer_id}: " + done_text
        with self.db.session() as session:
            case = cases.get_locked(session, case.id) if case else None
            if case is not None:
                self.timeline.by_system(
                    session, case, CaseEventType.STRIPE_WRITEBACK, text, {"offer_id": offer_id}
                )
            done(session)

    def _apply(
        self, offer_id: int, plan: Plan, customer: str | None, currency: str, salt: str = ""
    ) -> str:
        if plan.manual:
            return f"not applied in Stripe ({plan.manual}); apply it by hand."
        if customer is None:
            return "not applied in Stripe: this account has no Stripe customer; apply it by hand."
        try:
            if plan.kind == PlanKind.CREDIT:
                return self._credit(offer_id, plan, customer, currency, salt)
            sub = self.billing.live_subscription(customer)
            if sub is None:
                return f"not applied in Stripe: {customer} has no active subscription; {BY_HAND}."
            if mark(offer_id) in sub.metadata:
                return f"already applied in Stripe on subscription {sub.id}."
            if plan.kind == PlanKind.DISCOUNT:
                return self._discount(offer_id, plan, sub, salt)
            return self._trial(offer_id, plan, sub, salt)
        except Refusal as refusal:
            return f"Stripe refused it: {refusal}. Nothing was applied; apply it by hand."

    def _discount(self, offer_id: int, plan: Plan, sub: Subscription, salt: str) -> str:
        assert plan.percent is not None and plan.duration is not None
        coupon: dict[str, Any] = {
            "id": f"savedesk-offer-{offer_id}",
            "percent_off": format(plan.percent.normalize(), "f"),
            "duration": plan.duration,
            "name": f"Save offer #{offer_id}",
            "metadata": {"savedesk_offer": str(offer_id)},
        }
        if plan.months:
            coupon["duration_in_months"] = plan.months
        coupon_id = self.billing.create_coupon(coupon, f"savedesk-offer-{offer_id}-coupon{salt}")
        discounts = [{"discount": d} for d in sub.discounts] + [{"coupon": coupon_id}]
        params = {"discounts": discounts, "metadata": {mark(offer_id): "discount"}}
        self.billing.update_subscription(sub.id, params, f"savedesk-offer-{offer_id}-apply{salt}")
        length = {"once": "once", "forever": "forever"}.get(
            plan.duration, f"for {plan.months} months"
        )
        return (
            f"coupon {coupon_id} ({plan.percent.normalize():f}% off, {length}) applied as a "
            f"discount on subscription {sub.id}."
        )

    def _trial(self, offer_id: int, plan: Plan, sub: Subscription, salt: str) -> str:
        assert plan.months is not None
        start = max(m for m in (sub.trial_end, sub.period_end, self.clock.now()) if m)
        end = add_months(start, plan.months)
        params = {
            "trial_end": int(end.timestamp()),
            "proration_behavior": "none",
            "metadata": {mark(offer_id): "trial"},
        }
        self.billing.update_subscription(sub.id, params, f"savedesk-offer-{offer_id}-apply{salt}")
        return (
            f"trial on subscription {sub.id} extended to {end:%Y-%m-%d} ({plan.months} "
            "months free, no charge meanwhile)."
        )

    def _credit(self, offer_id: int, plan: Plan, customer: str, currency: str, salt: str) -> str:
        assert plan.amount is not None
        if found := self.billing.credited(customer, offer_id):
            return f"already added as balance credit {found} to customer {customer}."
        minor = int((plan.amount.scaleb(decimals(currency))).to_integral_value())
        params = {
            "amount": -minor,
            "currency": currency.lower(),
            "description": f"Save offer #{offer_id}",
            "metadata": {"savedesk_offer": str(offer_id)},
        }
        txn = self.billing.credit(customer, params, f"savedesk-offer-{offer_id}-credit{salt}")
        return (
            f"balance credit {txn} of {money(plan.amount, currency)}"
            f" added to customer {customer} (it pays their next invoices first)."
        )


def retry_salt(job: Claimed) -> str:
    """The idempotency keys' suffix for a run after Stripe replayed a saved 5xx: new keys, one
    set per claim of the job (Stripe docs, "Idempotent requests": a 500 is replayed)."""
    return f"-retry{job.attempt}"


def _released(sub: Subscription, drafts: list[str], refused: list[str]) -> str:
    """The thread's line for a released hold (or a Yes): what was done, and what Stripe
    refused of it."""
    done = (
        f"collection resumed on subscription {sub.id}: {GOES_OUT}"
        if sub.paused
        else f"subscription {sub.id} is not paused; {GOES_OUT} as usual"
    )
    if drafts:
        done += f"; renewal invoice {', '.join(drafts)} kept as a draft meanwhile, now finalized"
    return f"Stripe: {'; '.join([done, *refused])}."


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (the month's last day when it is shorter)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day).astimezone(UTC)
