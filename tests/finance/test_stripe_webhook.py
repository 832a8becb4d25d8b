"""POST /webhooks/stripe over HTTP, with events signed like Stripe and verified by the
stripe library: signatures, replays, ordering, API shapes, stub accounts."""

from __future__ import annotations

import itertools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from bot.common.clock import FakeClock
from storage.models import Account, InboundEvent, Invoice, ScheduledStep, StripeSubscription
from tests.conftest import RunningApp, seed_account
from tests.stripe_requests import at, event, invoice, post, sign, subscription


def invoices(app: RunningApp) -> list[Invoice]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Invoice).order_by(Invoice.id)))


def count(app: RunningApp, model: type) -> int:
    with app.services.db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_forged_stale_or_missing_signatures_get_400_and_change_nothing(
    running_app: RunningApp,
) -> None:
    app = running_app
    body = json.dumps(event("invoice.finalized", invoice("in_1"), at(date(2026, 1, 2)))).encode()
    assert post(app.slack, body, secret="whsec_wrong").status == 400
    assert post(app.slack, body, timestamp=int(time.time()) - 301).status == 400  # stale
    assert post(app.slack, body, header="").status == 400
    assert post(app.slack, body, header="t=abc,v1=zz").status == 400
    tampered = body.replace(b"120000", b"1")
    good_header = sign(body)
    assert post(app.slack, tampered, header=good_header).status == 400
    assert count(app, Invoice) == 0 and count(app, InboundEvent) == 0
    assert count(app, Account) == 0
    ok = post(app.slack, body, timestamp=int(time.time()) - 200)  # inside the tolerance
    assert ok.status == 200 and ok.json()["received"] is True
    assert count(app, Invoice) == 1


def test_finalized_and_paid_in_any_order_and_repeated_leave_one_paid_invoice(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    due = date(2025, 9, 1)  # long past: the ladder would be at its last step
    finalized = event("invoice.finalized", invoice("in_1", due=due), at(date(2025, 8, 1)))
    paid = event(
        "invoice.paid",
        invoice("in_1", due=due, status="paid", amount_remaining=0),
        at(date(2025, 8, 20)),
    )
    other_fin = event("invoice.finalized", invoice("in_2", due=due), at(date(2025, 8, 1)))
    other_paid = event(
        "invoice.paid",
        invoice("in_2", due=due, status="paid", amount_remaining=0),
        at(date(2025, 8, 20)),
    )
    orders = [[finalized, paid] * 3, [other_paid, other_fin] * 3]
    for payload in itertools.chain(*orders):
        assert post(app.slack, payload).status == 200
    rows = invoices(app)
    assert [(i.invoice_id, i.status, i.amount_remaining) for i in rows] == [
        ("in_1", "paid", Decimal(0)),
        ("in_2", "paid", Decimal(0)),
    ]
    assert all(i.next_step_on is None for i in rows)
    assert count(app, InboundEvent) == 4  # each event id once
    app.tick()
    with app.services.db.read() as session:
        kinds = set(session.scalars(select(ScheduledStep.kind)))
    assert "dunning" not in kinds  # no ladder step (the weekly report is a step of its own)
    assert app.standin.messages() == []


def test_a_repeated_event_id_answers_200_with_no_second_effect(running_app: RunningApp) -> None:
    app = running_app
    first = event("invoice.finalized", invoice("in_1", amount_due=5000), at(date(2026, 1, 2)))
    assert post(app.slack, first).json() == {"received": True, "outcome": "recorded"}
    again = dict(first, data={"object": invoice("in_1", amount_due=9999)})  # same id, new body
    reply = post(app.slack, again)
    assert reply.status == 200 and reply.json()["duplicate"] is True
    assert invoices(app)[0].amount_due == Decimal("50.00")


def test_unknown_types_are_ignored_and_bad_bodies_name_the_field(
    running_app: RunningApp,
) -> None:
    app = running_app
    unknown = post(app.slack, event("charge.refunded", {"id": "ch_1"}, at(date(2026, 1, 2))))
    assert unknown.status == 200 and unknown.json()["ignored"] is True
    not_json = post(app.slack, b"{not json")
    assert not_json.status == 400 and not_json.json()["error"].startswith("body")
    no_customer = invoice("in_9")
    del no_customer["customer"]
    reply = post(app.slack, event("invoice.finalized", no_customer, at(date(2026, 1, 2))))
    assert reply.status == 400 and "customer" in reply.json()["error"]
    assert count(app, InboundEvent) == 0


def test_old_and_new_api_shapes_and_missing_optional_fields(running_app: RunningApp) -> None:
    app = running_app
    new = invoice("in_new", subscription="sub_new")
    old = invoice("in_old", subscription="sub_old", legacy=True, customer={"id": "cus_acme"})
    bare = {"id": "in_bare", "object": "invoice", "customer": "cus_acme"}  # nothing else
    for obj in (new, old, bare):
        assert post(app.slack, event("invoice.created", obj, at(date(2026, 1, 2)))).status == 200
    rows = {i.invoice_id: i for i in invoices(app)}
    assert rows["in_new"].stripe_subscription_id == "sub_new"
    assert rows["in_old"].stripe_subscription_id == "sub_old"
    assert rows["in_bare"].due_date is None and rows["in_bare"].amount_due == 0
    bare_sub = {"id": "sub_bare", "object": "subscription", "customer": "cus_acme"}
    reply = post(app.slack, event("customer.subscription.updated", bare_sub, at(date(2026, 1, 2))))
    assert reply.status == 200


def test_invoice_for_a_known_customer_links_the_account_and_converts_minor_units(
    running_app: RunningApp,
) -> None:
    app = running_app
    account_id = seed_account(app.services, "acme", "Acme", stripe_customer_id="cus_acme")
    for obj in (
        invoice("in_usd", amount_due=123456, amount_remaining=23456),
        invoice("in_jpy", amount_due=5000, currency="jpy"),
        invoice("in_kwd", amount_due=12345, currency="kwd"),
    ):
        post(app.slack, event("invoice.finalized", obj, at(date(2026, 1, 2))))
    rows = {i.invoice_id: i for i in invoices(app)}
    assert {i.account_id for i in rows.values()} == {account_id}
    assert rows["in_usd"].amount_due == Decimal("1234.56")
    assert rows["in_usd"].amount_remaining == Decimal("234.56")
    assert rows["in_jpy"].amount_due == Decimal(5000)
    assert rows["in_kwd"].amount_due == Decimal("12.345")
    assert count(app, Account) == 1


def test_unknown_customer_becomes_a_stub_account(running_app: RunningApp) -> None:
    app = running_app
    obj = invoice("in_1", customer="cus_new", customer_name="Globex Ltd")
    post(app.slack, event("invoice.finalized", obj, at(date(2026, 1, 2))))
    post(
        app.slack,
        event("invoice.finalized", invoice("in_2", customer="cus_new"), at(date(2026, 1, 2))),
    )
    with app.services.db.read() as session:
        accounts = list(session.scalars(select(Account)))
    assert len(accounts) == 1
    stub = accounts[0]
    assert stub.is_stub and stub.stripe_customer_id == "cus_new" and stub.name == "Globex Ltd"


def test_due_date_is_the_calendar_day_in_the_policy_timezone(running_app: RunningApp) -> None:
    app = running_app
    obj = invoice("in_1")
    obj["due_date"] = 1767247200  # 2026-01-01 06:00 UTC = 2026-01-01 01:00 in New York
    post(app.slack, event("invoice.finalized", obj, at(date(2025, 12, 1))))
    obj2 = invoice("in_2")
    obj2["due_date"] = 1767236400  # 2026-01-01 03:00 UTC = 2025-12-31 22:00 in New York
    post(app.slack, event("invoice.finalized", obj2, at(date(2025, 12, 1))))
    rows = {i.invoice_id: i.due_date for i in invoices(app)}
    assert rows == {"in_1": date(2026, 1, 1), "in_2": date(2025, 12, 31)}


def test_subscription_events_keep_the_latest_state_whatever_the_order(
    running_app: RunningApp,
) -> None:
    app = running_app
    cancel = event(
        "customer.subscription.updated",
        subscription(cancel_at_period_end=True, feedback="too_expensive", comment="Budget cut"),
        at(date(2026, 1, 3)),
    )
    earlier = event("customer.subscription.updated", subscription(), at(date(2026, 1, 1)))
    for payload in (cancel, earlier, cancel):
        assert post(app.slack, payload).status == 200
    with app.services.db.read() as session:
        row = session.scalar(select(StripeSubscription))
    assert row is not None and row.cancel_at_period_end is True
    assert row.cancellation_feedback == "too_expensive" and row.cancellation_comment == "Budget cut"
    assert row.arr == Decimal(12000)  # 500.00 x 2 seats x 12 months
    deleted = event(
        "customer.subscription.deleted",
        subscription(status="canceled", reason="payment_failed"),
        at(date(2026, 2, 1)),
    )
    post(app.slack, deleted)
    late = event("customer.subscription.updated", subscription(), at(date(2026, 3, 1)))
    post(app.slack, late)  # an ended subscription stays ended
    with app.services.db.read() as session:
        row = session.scalar(select(StripeSubscription))
    assert row is not None and row.status == "canceled" and row.involuntary is True


def test_partial_payment_lowers_the_remaining_amount(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    due = date(2026, 1, 1)
    post(app.slack, event("invoice.finalized", invoice("in_1", due=due), at(date(2025, 12, 1))))
    partial = invoice("in_1", due=due, amount_remaining=20000)
    post(app.slack, event("invoice.updated", partial, at(date(2025, 12, 15))))
    stale = invoice("in_1", due=due)  # an older view arriving late
    post(app.slack, event("invoice.updated", stale, at(date(2025, 12, 10))))
    assert invoices(app)[0].amount_remaining == Decimal("200.00")
    assert invoices(app)[0].next_step_on == due + timedelta(days=30)


def test_concurrent_deliveries_have_one_effect(running_app: RunningApp) -> None:
    """The same event id four times at once, and four events of one unknown customer at
    once: one recorded event, one stub account, every answer 200."""
    app = running_app
    same = event("invoice.finalized", invoice("in_1", customer="cus_new"), at(date(2026, 1, 2)))
    others = [
        event("invoice.finalized", invoice(f"in_{n}", customer="cus_new"), at(date(2026, 1, 2)))
        for n in range(2, 6)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda p: post(app.slack, p), [same] * 4 + others))
    assert [r.status for r in replies] == [200] * 8
    assert sum(1 for r in replies[:4] if r.json().get("duplicate")) == 3
    assert count(app, InboundEvent) == 5 and count(app, Invoice) == 5
    assert count(app, Account) == 1
