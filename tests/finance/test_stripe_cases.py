"""Stripe subscription and payment events → cases, over HTTP, signed like Stripe."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from storage.models import Case, CaseEvent
from tests.conftest import RunningApp, seed_account
from tests.stripe_requests import at, event, invoice, post, subscription


def cases(app: RunningApp) -> list[Case]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def timeline(app: RunningApp, case_id: int) -> list[str]:
    with app.services.db.read() as session:
        stmt = select(CaseEvent.text).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        return list(session.scalars(stmt))


def updated(**fields: object) -> dict:
    return subscription(**fields)  # type: ignore[arg-type]


def test_cancel_at_period_end_opens_one_case_and_withdrawing_is_a_timeline_line(
    running_app: RunningApp,
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme", stripe_customer_id="cus_acme", arr=None)
    cancel = event(
        "customer.subscription.updated",
        updated(cancel_at_period_end=True, feedback="too_expensive", comment="Budget cut"),
        at(date(2026, 1, 3)),
    )
    for _ in range(3):
        assert post(app.slack, cancel).status == 200
    (case,) = cases(app)
    assert (case.kind, case.source, case.status) == ("cancellation", "Stripe", "new")
    assert case.stated_reason == 'it\'s too expensive; "Budget cut"'
    assert case.arr_at_risk == Decimal(12000)  # the account had none: 2 x 500.00 x 12
    app.tick()
    root = app.standin.messages("C0CASES")[0]
    assert "Acme" in root["text"]
    withdraw = event("customer.subscription.updated", updated(), at(date(2026, 1, 4)))
    assert post(app.slack, withdraw).status == 200
    assert len(cases(app)) == 1 and cases(app)[0].status == "new"
    assert any("customer withdrew the cancellation in Stripe" in t for t in timeline(app, case.id))
    app.tick()
    lines = [m["text"] for m in app.standin.messages("C0CASES") if m.get("thread_ts")]
    assert any("withdrew the cancellation" in line for line in lines)


def test_deleted_subscription_churns_the_open_case_involuntary_when_payment_failed(
    running_app: RunningApp,
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme", stripe_customer_id="cus_acme")
    cancel = updated(cancel_at_period_end=True)
    post(app.slack, event("customer.subscription.updated", cancel, at(date(2026, 1, 3))))
    deleted = updated(status="canceled", reason="payment_failed")
    reply = post(app.slack, event("customer.subscription.deleted", deleted, at(date(2026, 2, 1))))
    assert reply.status == 200
    (case,) = cases(app)
    assert case.status == "churned" and case.closed_at is not None
    assert case.details["involuntary"] is True
    assert case.details["cancellation_reason"] == "payment_failed"
    said = "Stripe marked the case churned", ": subscription ended: payment failed"
    assert any(all(part in t for part in said) for t in timeline(app, case.id))


def test_deleted_with_no_open_case_creates_one_already_churned_voluntary(
    running_app: RunningApp,
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme", stripe_customer_id="cus_acme")
    deleted = updated(status="canceled", reason="cancellation_requested", feedback="unused")
    post(app.slack, event("customer.subscription.deleted", deleted, at(date(2026, 2, 1))))
    post(app.slack, event("customer.subscription.deleted", deleted, at(date(2026, 2, 1))))
    (case,) = cases(app)
    assert case.status == "churned" and case.details["involuntary"] is False
    assert case.stated_reason == "don't use the service enough"


def test_payment_failed_is_a_payment_case_owned_by_finance_never_the_csm(
    running_app: RunningApp,
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme", stripe_customer_id="cus_acme", csm="U0CSM")
    failed = invoice("in_1", due=date(2026, 1, 1), status="open")
    post(app.slack, event("invoice.payment_failed", failed, at(date(2026, 1, 2))))
    post(app.slack, event("invoice.payment_failed", failed, at(date(2026, 1, 9))))  # retry
    (case,) = cases(app)
    assert (case.kind, case.track, case.owner) == ("payment_failed", "payment", "U0FIN")
    assert case.csm == "U0CSM" and case.source == "Stripe"
    assert "in_1" in (case.stated_reason or "")
    assert any("New signal" in t for t in timeline(app, case.id))  # the retry attached
