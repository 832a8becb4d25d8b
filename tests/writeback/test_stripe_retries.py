"""Write-back to Stripe when Stripe fails: a 500 is saved under its idempotency key and
replayed for a day (Stripe docs, "Idempotent requests"), so a retry that only repeated the
key would get the same 500 until the job gave up; and a key is forgotten after a day, so a
run after that must find its first effect in Stripe itself. Through Slack, the job loop and
the real `stripe` library against tests/stripe_standin.py."""

from __future__ import annotations

from sqlalchemy import select

from bot.common.clock import FakeClock
from bot.runtime.jobs import JobKind
from slack_edge.offer_messages import OfferAction
from storage import jobs as job_rows
from storage.models import Job
from tests.conftest import RunningApp, eventually
from tests.finance.test_renewals import press as press_renewal
from tests.stripe_standin import StripeStandin
from tests.writeback import test_stripe_writeback as wb
from tests.writeback.test_stripe_writeback import hold, offers, press, propose, settle, thread_texts

# the fixtures of the write-back tests: Slack and Stripe stand-ins, a case, a renewal check
settings, stripe_api, case_app, renewal = wb.settings, wb.stripe_api, wb.case_app, wb.renewal


def _jobs(app: RunningApp, kind: JobKind) -> list[str]:
    with app.services.db.read() as session:
        return [j.state for j in session.scalars(select(Job).where(Job.kind == kind.value))]


def test_a_500_on_the_discount_is_retried_and_applied_once(
    case_app: RunningApp,
    stripe_api: StripeStandin,
    clock: FakeClock,
) -> None:
    app = case_app
    [sub] = stripe_api.subscriptions
    offer = propose(app, "discount", "20000", pct="30", duration="3 months")
    press(app, OfferAction.APPROVE, offer.id, "U0MGR")
    eventually(lambda: offers(app)[0].status == "approved")
    stripe_api.fail_next = 2  # Stripe answers the next two writes 500, whatever they are
    press(app, OfferAction.ACCEPTED, offer.id, "U0AE")
    eventually(lambda: offers(app)[0].outcome == "accepted")
    settle(app, clock, rounds=8)
    assert len(stripe_api.subscriptions[sub]["discounts"]) == 1
    assert list(stripe_api.coupons) == [f"savedesk-offer-{offer.id}"]
    assert stripe_api.subscriptions[sub]["metadata"] == {f"savedesk_offer_{offer.id}": "discount"}
    assert _jobs(app, JobKind.STRIPE_OFFER) == ["done"]
    lines = [t for t in thread_texts(app, "C0CASES") if t.startswith("Stripe, save offer")]
    assert len(lines) == 1 and f"applied as a discount on subscription {sub}" in lines[0]


def test_a_credit_is_never_added_twice_even_after_stripe_forgot_the_key(
    case_app: RunningApp,
    stripe_api: StripeStandin,
    clock: FakeClock,
) -> None:
    app = case_app
    offer = propose(app, "credit", "500")
    press(app, OfferAction.ACCEPTED, offer.id, "U0AE")
    eventually(lambda: offers(app)[0].outcome == "accepted")
    settle(app, clock)
    stripe_api.expire_keys()  # a day later the job runs again (restored, re-queued by hand)
    with app.services.db.session() as session:
        job_rows.add(session, JobKind.STRIPE_OFFER, {"offer": offer.id}, clock.now())
    settle(app, clock)
    [txn] = stripe_api.customers["cus_acme"]["transactions"]
    assert stripe_api.customers["cus_acme"]["balance"] == -50000
    lines = [t for t in thread_texts(app, "C0CASES") if t.startswith("Stripe, save offer")]
    assert len(lines) == 2 and f"already added as balance credit {txn['id']}" in lines[1]


def test_a_500_on_the_credit_is_retried_and_credited_once(
    case_app: RunningApp,
    stripe_api: StripeStandin,
    clock: FakeClock,
) -> None:
    app = case_app
    offer = propose(app, "credit", "500")
    stripe_api.fail_next = 1
    press(app, OfferAction.ACCEPTED, offer.id, "U0AE")
    eventually(lambda: offers(app)[0].outcome == "accepted")
    settle(app, clock, rounds=6)
    assert len(stripe_api.customers["cus_acme"]["transactions"]) == 1
    assert _jobs(app, JobKind.STRIPE_OFFER) == ["done"]


def test_a_500_on_the_hold_is_retried_until_collection_is_paused(
    renewal: tuple[RunningApp, str, int],
    stripe_api: StripeStandin,
    clock: FakeClock,
) -> None:
    app, sub, check_id = renewal
    stripe_api.fail_next = 1
    hold(app, check_id, clock, rounds=6)
    assert stripe_api.subscriptions[sub]["pause_collection"] == {
        "behavior": "keep_as_draft",
        "resumes_at": None,
    }
    assert _jobs(app, JobKind.STRIPE_RENEWAL) == ["done"]
    assert any(f"collection paused on subscription {sub}" in t for t in thread_texts(app, "D0CSM"))


def test_a_release_stripe_half_refuses_says_what_was_done_and_what_was_not(
    renewal: tuple[RunningApp, str, int], stripe_api: StripeStandin, clock: FakeClock
) -> None:
    app, sub, check_id = renewal
    hold(app, check_id, clock)
    held = stripe_api.bill(sub)["id"]
    refusal = "The customer must have an email to finalize this invoice."
    stripe_api.invoices[held]["finalize_refusal"] = refusal
    press_renewal(app, "renewal_release", check_id, "U0CSM")
    settle(app, clock)
    assert stripe_api.subscriptions[sub]["pause_collection"] is None  # resumed all the same
    [line] = [t for t in thread_texts(app, "D0CSM") if "collection resumed" in t]
    assert f"collection resumed on subscription {sub}" in line
    assert f"Stripe refused to finalize renewal invoice {held} ({refusal})" in line
    assert "nothing was changed" not in line
    assert _jobs(app, JobKind.STRIPE_RENEWAL) == ["done", "done"]


def test_a_discount_retried_after_the_subscription_changed_in_stripe_is_still_applied(
    case_app: RunningApp, stripe_api: StripeStandin, clock: FakeClock
) -> None:
    """The first try's 500 is saved with its parameters; meanwhile someone adds a discount in
    Stripe, so the retry's parameters differ and Stripe refuses the key (idempotency_error):
    that says the first request ended, not that the offer cannot be applied."""
    app = case_app
    [sub] = stripe_api.subscriptions
    offer = propose(app, "discount", "1000", pct="5", duration="once")  # within the policy
    stripe_api.fail_next, stripe_api.fail_path = 1, "/v1/subscriptions/"
    press(app, OfferAction.ACCEPTED, offer.id, "U0AE")
    eventually(lambda: offers(app)[0].outcome == "accepted")
    app.tick()  # the coupon is made; the discount answers 500
    assert stripe_api.subscriptions[sub]["discounts"] == []
    stripe_api.subscriptions[sub]["discounts"] = ["di_by_hand"]  # a discount added in Stripe
    settle(app, clock)
    assert len(stripe_api.subscriptions[sub]["discounts"]) == 2
    assert stripe_api.subscriptions[sub]["discounts"][0] == "di_by_hand"
    assert _jobs(app, JobKind.STRIPE_OFFER) == ["done"]
    [line] = [t for t in thread_texts(app, "C0CASES") if t.startswith("Stripe, save offer")]
    assert f"applied as a discount on subscription {sub}" in line
