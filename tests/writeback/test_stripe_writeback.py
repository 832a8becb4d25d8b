"""Write-back to Stripe end to end: Slack clicks through the stand-in, the job loop, the
real `stripe` library against a strict local Stripe (tests/stripe_standin.py): Hold pauses
the renewal invoice, Yes lets it go; an approved and accepted offer becomes one discount,
trial extension or credit, however often the click or Stripe's answer is retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.runtime.jobs import JobKind
from bot.runtime.services import Services
from bot.runtime.settings import Settings, load_settings
from demo.standin import SlackStandin
from slack_edge.offer_messages import OfferAction
from storage import jobs as job_rows
from storage.models import Job, Offer, RenewalCheck
from tests.conftest import SIGNING_SECRET, RunningApp, eventually, seed_account
from tests.finance.test_renewals import press as press_renewal
from tests.finance.test_renewals import renewing_in, submit_hold
from tests.stripe_standin import API_KEY, StripeStandin
from wiring import build_services


@pytest.fixture
def stripe_api() -> Iterator[StripeStandin]:
    api = StripeStandin()
    yield api
    api.close()


@pytest.fixture
def settings(
    db_url: str, standin: SlackStandin, tmp_path: Path, stripe_api: StripeStandin
) -> Settings:
    return load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": db_url,
            "POLICY_FILE": str(tmp_path / "policy.toml"),
            "STRIPE_API_KEY": API_KEY,
            "STRIPE_API_BASE": stripe_api.url,
        }
    )


def settle(app: RunningApp, clock: FakeClock, rounds: int = 4) -> None:
    """Run jobs (and their retries: 1 s, 2 s, 4 s… of the injected clock) and deliver."""
    for _ in range(rounds):
        app.tick()
        clock.advance(timedelta(seconds=8))
    app.tick()


def hold(app: RunningApp, check_id: int, clock: FakeClock, rounds: int = 4) -> None:
    """The CSM answers Hold ("dispute") on the pre-renewal check, and the jobs run."""
    press_renewal(app, "renewal_hold", check_id, "U0CSM")
    submit_hold(app, check_id, "U0CSM", "dispute")
    settle(app, clock, rounds)


def thread_texts(app: RunningApp, channel: str) -> list[str]:
    return [m["text"] for m in app.standin.messages(channel) if m.get("thread_ts")]


# -- the renewal invoice ----------------------------------------------------------------


@pytest.fixture
def renewal(running_app: RunningApp, stripe_api: StripeStandin) -> tuple[RunningApp, str, int]:
    app = running_app
    renews = date.fromisoformat(renewing_in(app, 30))
    seed_account(app.services, "acme", "Acme", renewal_date=renews, stripe_customer_id="cus_acme")
    sub = stripe_api.add_subscription("cus_acme")
    app.tick()
    with app.services.db.read() as session:
        [check] = session.scalars(select(RenewalCheck)).all()
    return app, sub, check.id


def test_hold_pauses_collection_and_the_thread_says_so(
    renewal: tuple[RunningApp, str, int], stripe_api: StripeStandin, clock: FakeClock
) -> None:
    app, sub, check_id = renewal
    assert stripe_api.posts() == []  # asking changes nothing
    press_renewal(app, "renewal_hold", check_id, "U0CSM")
    assert submit_hold(app, check_id, "U0CSM", "customer disputes the seat count") == {}
    press_renewal(app, "renewal_yes", check_id, "U0CSM")  # refused: the first answer stands
    settle(app, clock)
    assert stripe_api.subscriptions[sub]["pause_collection"] == {
        "behavior": "keep_as_draft",
        "resumes_at": None,
    }
    [update] = stripe_api.effects()
    assert (update.path, update.idempotency_key) == (
        f"/v1/subscriptions/{sub}",
        f"savedesk-renewal-{check_id}-hold",
    )
    replies = thread_texts(app, "D0CSM")
    assert any(f"collection paused on subscription {sub}" in t for t in replies)
    invoice = stripe_api.bill(sub)  # the renewal comes: held as a draft, not sent
    assert (invoice["status"], invoice["auto_advance"]) == ("draft", False)


def test_yes_lets_a_paused_renewal_invoice_go(
    renewal: tuple[RunningApp, str, int], stripe_api: StripeStandin, clock: FakeClock
) -> None:
    app, sub, check_id = renewal
    stripe_api.subscriptions[sub]["pause_collection"] = {"behavior": "keep_as_draft"}
    held = stripe_api.bill(sub)["id"]  # paused in Stripe by hand: a draft
    press_renewal(app, "renewal_yes", check_id, "U0CSM")
    settle(app, clock)
    assert stripe_api.subscriptions[sub]["pause_collection"] is None
    update, finalize = stripe_api.effects()
    assert update.params == {"pause_collection": ""}
    assert (finalize.path, finalize.params) == (f"/v1/invoices/{held}/finalize",
                                                {"auto_advance": "true"})  # fmt: skip
    assert (stripe_api.invoices[held]["status"], stripe_api.invoices[held]["auto_advance"]) == (
        "open",
        True,
    )
    assert any(f"collection resumed on subscription {sub}" in t and f"{held} kept as a draft"
               in t for t in thread_texts(app, "D0CSM"))  # fmt: skip
    assert stripe_api.bill(sub)["status"] == "open"  # the next one goes out too


def test_releasing_the_hold_lets_the_invoice_go_once(
    renewal: tuple[RunningApp, str, int], stripe_api: StripeStandin, clock: FakeClock
) -> None:
    app, sub, check_id = renewal
    press_renewal(app, "renewal_release", check_id, "U0CSM")  # refused: nothing is held
    assert "not on hold" in app.standin.wait_for_responses(1)[-1]["text"]
    hold(app, check_id, clock)
    held = stripe_api.bill(sub)["id"]  # the renewal invoice, made while held
    assert stripe_api.invoices[held]["status"] == "draft"
    question = app.standin.messages("D0CSM")[0]
    assert "renewal_release" in json.dumps(question["blocks"])
    press_renewal(app, "renewal_release", check_id, "U0FIN")
    eventually(lambda: _released_by(app, check_id) == "U0FIN")
    press_renewal(app, "renewal_release", check_id, "U0CSM")  # refused: released already
    assert "Already released by <@U0FIN>" in app.standin.wait_for_responses(2)[-1]["text"]
    settle(app, clock)
    assert stripe_api.subscriptions[sub]["pause_collection"] is None
    keys = [r.idempotency_key for r in stripe_api.effects()]
    assert keys == [f"savedesk-renewal-{check_id}-hold", f"savedesk-renewal-{check_id}-release",
                    f"savedesk-renewal-{check_id}-finalize-{held}"]  # fmt: skip
    assert stripe_api.invoices[held]["status"] == "open"  # released: it goes out
    question = app.standin.messages("D0CSM")[0]
    assert "Hold released* by <@U0FIN>" in question["text"]
    assert "renewal_release" not in json.dumps(question["blocks"])
    assert any(f"collection resumed on subscription {sub}" in t for t in thread_texts(app, "D0CSM"))
    finance = " ".join(m["text"] for m in app.standin.messages("C0FINANCE"))
    assert "Hold released" in finance


def _released_by(app: RunningApp, check_id: int) -> str | None:
    with app.services.db.read() as session:
        check = session.get(RenewalCheck, check_id)
        return check.released_by if check else None


def test_a_release_whose_answers_were_lost_resumes_and_finalizes_once(
    renewal: tuple[RunningApp, str, int], stripe_api: StripeStandin, clock: FakeClock
) -> None:
    app, sub, check_id = renewal
    hold(app, check_id, clock)
    held = stripe_api.bill(sub)["id"]
    stripe_api.drop_next_answer = 2  # Stripe resumes and finalizes; both answers are lost
    press_renewal(app, "renewal_release", check_id, "U0CSM")
    settle(app, clock, rounds=6)
    assert stripe_api.subscriptions[sub]["pause_collection"] is None
    assert stripe_api.invoices[held]["status"] == "open"
    paths = [r.path for r in stripe_api.effects()]
    assert paths == [f"/v1/subscriptions/{sub}", f"/v1/subscriptions/{sub}",
                     f"/v1/invoices/{held}/finalize"]  # fmt: skip
    assert _jobs(app, JobKind.STRIPE_RENEWAL) == ["done", "done"]


def test_a_refusal_is_answered_in_the_thread_with_stripes_message(
    renewal: tuple[RunningApp, str, int], stripe_api: StripeStandin, clock: FakeClock
) -> None:
    app, sub, check_id = renewal
    stripe_api.refuse = "The provided key 'rk_test_…' does not have the required permissions"
    hold(app, check_id, clock)
    assert stripe_api.subscriptions[sub]["pause_collection"] is None
    [line] = [t for t in thread_texts(app, "D0CSM") if "Stripe" in t]
    assert "does not have the required permissions" in line and "act by hand" in line
    assert _jobs(app, JobKind.STRIPE_RENEWAL) == ["done"]


# -- accepted save offers -----------------------------------------------------------------


@pytest.fixture
def case_app(running_app: RunningApp, stripe_api: StripeStandin) -> RunningApp:
    account = seed_account(running_app.services, "acme", "Acme Corp", stripe_customer_id="cus_acme")
    stripe_api.add_subscription("cus_acme")
    running_app.services.cases.open(account, Signal(kind="cancellation", source="test"))
    running_app.tick()
    return running_app


def propose(app: RunningApp, kind: str, value: str, pct: str = "", duration: str = "") -> Offer:
    values = {
        "type": {"type": {"type": "static_select", "selected_option": {"value": kind}}},
        "value": {"value": {"type": "number_input", "value": value}},
        "discount_pct": {"discount_pct": {"type": "number_input", "value": pct or None}},
        "duration": {"duration": duration},
        "justification": {"justification": "budget freeze"},
        "tried": {"tried": ""},
    }
    payload = app.slack.view_submission(
        "case_offer_view", values, user_id="U0AE", private_metadata=json.dumps({"case_id": 1})
    )
    assert app.slack.interactive(payload).status == 200
    return eventually(lambda: offers(app) and offers(app)[-1])


def offers(app: RunningApp) -> list[Offer]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Offer).order_by(Offer.id)))


def press(app: RunningApp, action: OfferAction, offer_id: int, user: str) -> None:
    payload = app.slack.block_action(
        action.value, str(offer_id), user_id=user, channel_id="C0CASES", message_ts="1.0"
    )
    assert app.slack.interactive(payload).status == 200


def _jobs(app: RunningApp, kind: JobKind) -> list[str]:
    with app.services.db.read() as session:
        return [j.state for j in session.scalars(select(Job).where(Job.kind == kind.value))]


def test_approved_and_accepted_discount_is_one_discount_however_often_retried(
    case_app: RunningApp, stripe_api: StripeStandin, clock: FakeClock
) -> None:
    app = case_app
    [sub] = stripe_api.subscriptions
    offer = propose(app, "discount", "20000", pct="30", duration="3 months")
    assert offer.status == "pending"
    press(app, OfferAction.ACCEPTED, offer.id, "U0AE")  # refused: not approved yet
    press(app, OfferAction.APPROVE, offer.id, "U0MGR")
    eventually(lambda: offers(app)[0].status == "approved")
    settle(app, clock)
    assert stripe_api.requests == []  # approved is not enough: the customer must accept
    stripe_api.drop_next_answer = 2  # the coupon's and the discount's answers are lost
    press(app, OfferAction.ACCEPTED, offer.id, "U0AE")
    press(app, OfferAction.ACCEPTED, offer.id, "U0AE")  # a double click / Slack's retry
    eventually(lambda: offers(app)[0].outcome == "accepted")
    settle(app, clock, rounds=6)
    with app.services.db.session() as session:  # the job delivered again, by hand
        job_rows.add(session, JobKind.STRIPE_OFFER, {"offer": offer.id}, clock.now())
    settle(app, clock)

    coupon_id = f"savedesk-offer-{offer.id}"
    coupon = stripe_api.coupons[coupon_id]
    assert (coupon["percent_off"], coupon["duration"], coupon["duration_in_months"]) == (
        "30",
        "repeating",
        "3",
    )
    assert coupon["discounts"] == [(sub, stripe_api.subscriptions[sub]["discounts"][0])]
    assert len(stripe_api.subscriptions[sub]["discounts"]) == 1
    assert [r.path for r in stripe_api.effects()] == ["/v1/coupons", f"/v1/subscriptions/{sub}"]
    assert all(r.idempotency_key for r in stripe_api.posts())
    assert _jobs(app, JobKind.STRIPE_OFFER) == ["done", "done"]
    lines = [
        t for t in thread_texts(app, "C0CASES") if t.startswith(f"Stripe, save offer #{offer.id}: ")
    ]
    assert lines == [
        f"Stripe, save offer #{offer.id}: coupon {coupon_id} (30% off, for 3 months) applied as a "
        f"discount on subscription {sub}.",
        f"Stripe, save offer #{offer.id}: already applied in Stripe on subscription {sub}.",
    ]


def test_free_months_extend_the_trial_and_credit_is_a_balance_credit(
    case_app: RunningApp, stripe_api: StripeStandin, clock: FakeClock
) -> None:
    app = case_app
    [sub] = stripe_api.subscriptions
    before = stripe_api.subscriptions[sub]["items"]["data"][0]["current_period_end"]
    months = propose(app, "free_months", "1000", duration="2 months")  # within policy
    credit = propose(app, "credit", "500")
    manual = propose(app, "training", "300")
    for offer in (months, credit, manual):
        press(app, OfferAction.ACCEPTED, offer.id, "U0AE")
    eventually(lambda: all(o.outcome == "accepted" for o in offers(app)))
    settle(app, clock)
    trial_end = stripe_api.subscriptions[sub]["trial_end"]
    assert 58 * 86400 <= trial_end - before <= 62 * 86400
    [txn] = stripe_api.customers["cus_acme"]["transactions"]
    assert (txn["amount"], txn["currency"]) == (-50000, "usd")
    lines = " ".join(thread_texts(app, "C0CASES"))
    assert f"trial on subscription {sub} extended to" in lines
    assert f"balance credit {txn['id']} of $500" in lines
    assert "Stripe has no object for a training offer" in lines


def test_stripe_refusing_an_offer_says_so_and_applies_nothing(
    case_app: RunningApp, stripe_api: StripeStandin, clock: FakeClock
) -> None:
    app = case_app
    offer = propose(app, "discount", "1000", pct="5", duration="once")
    stripe_api.refuse = "No such customer: 'cus_acme'"
    press(app, OfferAction.ACCEPTED, offer.id, "U0AE")
    settle(app, clock)
    assert stripe_api.coupons == {}
    lines = [t for t in thread_texts(app, "C0CASES") if "Stripe refused it" in t]
    assert len(lines) == 1 and "No such customer: 'cus_acme'" in lines[0]


def test_without_a_key_nothing_reaches_stripe(services: Services) -> None:
    plain = build_services(replace(services.settings, stripe_api_key=None), services.policy,
                           services.clock)  # fmt: skip
    try:
        assert JobKind.STRIPE_OFFER not in plain.jobs.handlers
        assert JobKind.STRIPE_RENEWAL not in plain.jobs.handlers
        assert plain.finance.renewals.answered == ()
        assert len(plain.cases.timeline.listeners) == 1  # outbound webhooks only
    finally:
        plain.db.dispose()
    assert JobKind.STRIPE_OFFER in services.jobs.handlers


def test_stripe_unreachable_is_retried_then_the_thread_says_to_check(
    case_app: RunningApp, stripe_api: StripeStandin, clock: FakeClock
) -> None:
    app = case_app
    offer = propose(app, "credit", "500")
    stripe_api.close()  # no answer at all, every time
    press(app, OfferAction.ACCEPTED, offer.id, "U0AE")
    eventually(lambda: offers(app)[0].outcome == "accepted")
    for _ in range(10):  # the job system's backoff: 1 s, 2 s, 4 s… eight tries
        app.tick()
        clock.advance(timedelta(minutes=3))
    app.tick()
    assert _jobs(app, JobKind.STRIPE_OFFER) == ["failed"]
    lines = [t for t in thread_texts(app, "C0CASES") if t.startswith("Stripe, save offer")]
    assert len(lines) == 1 and "Stripe did not answer after 8 tries" in lines[0]
