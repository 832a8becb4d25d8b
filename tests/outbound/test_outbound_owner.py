"""Every change of a case's owner or status reaches an outbound webhook receiver exactly
once: an unowned case taken by acknowledging it, the Reassign modal, acknowledging a case
that already has an owner (nothing), each status change through Slack, and a subscription
ended in Stripe (over HTTP, verified by the independent `standardwebhooks` library in
tests/webhook_receiver.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from bot.cases.models import Signal
from bot.policy import Policy, parse_policy
from slack_edge.case_messages import CaseAction
from storage import outbound as webhook_rows
from tests.conftest import RunningApp, eventually, seed_account, with_policy
from tests.stripe_requests import at, event, post, subscription
from tests.survey.test_survey_http import click
from tests.webhook_receiver import Receiver

ROUTES = """
business_hours = ""
[channels]
cases = "C0CASES"
[roles]
managers = {managers}
admins = ["U0ADMIN"]
[[routing]]
kinds = ["payment_failed"]
owner = "finance"
[[routing]]
owner = "csm"
"""
"""With no managers, a payment case of an account without a CSM has no owner (nobody
holds `finance`); a manager added to the policy later may take it."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def policy(receiver: Receiver) -> Policy:
    toml = ROUTES.format(managers='["U0MGR"]') + receiver.policy()
    return parse_policy(toml, "webhooks.toml")


def open_unowned(app: RunningApp, receiver: Receiver) -> int:
    """Opened while the policy named no manager (the app now runs with one)."""
    before = with_policy(app.services, ROUTES.format(managers="[]") + receiver.policy())
    try:
        account = seed_account(before, "orphan", "Orphan Inc", csm=None, account_owner=None)
        opened = before.cases.open(account, Signal(kind="payment_failed", source="test"))
    finally:
        before.deliverer.close()
    return opened.case_id


def delivered(app: RunningApp, receiver: Receiver, count: int) -> list[dict]:
    """Tick until `count` events were accepted, then twice more: nothing else comes."""
    app.tick()
    try:
        eventually(lambda: len(receiver.accepted()) >= count or app.tick())
    except AssertionError:
        with app.services.db.read() as session:
            rows = [(r.event_type, r.state, r.attempts, r.last_error)
                    for r in webhook_rows.for_event(session)]  # fmt: skip
        raise AssertionError(f"{rows}; seen {[s.status for s in receiver.seen]}") from None
    app.tick()
    app.tick()
    assert all(s.verified for s in receiver.seen)
    return receiver.accepted()


def test_taking_an_unowned_case_by_acknowledging_it_is_an_owner_change_once(
    running_app: RunningApp, receiver: Receiver
) -> None:
    app = running_app
    case_id = open_unowned(app, receiver)
    [opened] = delivered(app, receiver, 1)
    assert (opened["type"], opened["data"]["case"]["owner"]) == ("case.opened", None)

    click(app, CaseAction.ACKNOWLEDGE.value, case_id, "U0MGR")
    events = delivered(app, receiver, 2)
    assert [e["type"] for e in events] == ["case.opened", "case.owner_changed"]
    taken = events[1]["data"]
    assert (taken["previous_owner"], taken["owner"], taken["by"]) == (None, "U0MGR", "U0MGR")
    assert taken["case"]["status"] == "acknowledged"  # acknowledging alone publishes nothing


def test_reassign_and_every_status_change_each_publish_one_event(
    running_app: RunningApp, receiver: Receiver
) -> None:
    app = running_app
    account = seed_account(app.services, "acme", "Acme Corp")  # routed to its CSM
    case_id = app.services.cases.open(account, Signal(kind="cancellation", source="t")).case_id
    delivered(app, receiver, 1)
    click(app, CaseAction.ACKNOWLEDGE.value, case_id, "U0CSM")  # owned already: no event
    meta = f'{{"case_id": {case_id}}}'
    values = {"owner": {"owner": {"type": "users_select", "selected_user": "U0AE"}}}
    payload = app.slack.view_submission(
        "case_reassign_view", values, user_id="U0ADMIN", private_metadata=meta
    )
    assert app.slack.interactive(payload).status == 200
    delivered(app, receiver, 2)
    for count, action in enumerate((CaseAction.SAVED, CaseAction.REOPEN, CaseAction.CHURNED)):
        click(app, action.value, case_id, "U0CSM")
        events = delivered(app, receiver, 3 + count)
    assert [e["type"] for e in events] == [
        "case.opened",
        "case.owner_changed",
        "case.status_changed",
        "case.status_changed",
        "case.status_changed",
    ]
    moved = events[1]["data"]
    assert (moved["previous_owner"], moved["owner"], moved["by"]) == ("U0CSM", "U0AE", "U0ADMIN")
    changes = [e["data"]["change"] for e in events[2:]]
    assert changes == ["saved", "reopened", "churned"]
    ids = [s.headers["webhook-id"] for s in receiver.seen]
    assert len(ids) == len(set(ids)) == 5


def test_a_subscription_ended_in_stripe_is_opened_then_churned_once_each(
    running_app: RunningApp, receiver: Receiver
) -> None:
    """No open case: Stripe's `customer.subscription.deleted` opens one already churned; the
    same event again (Stripe retries) changes nothing and publishes nothing."""
    app = running_app
    seed_account(app.services, "acme", "Acme", stripe_customer_id="cus_acme")
    deleted = subscription(status="canceled", reason="cancellation_requested")
    for _ in range(2):
        post(app.slack, event("customer.subscription.deleted", deleted, at(date(2026, 2, 1))))
    events = delivered(app, receiver, 2)
    assert [e["type"] for e in events] == ["case.opened", "case.status_changed"]
    churned = events[1]["data"]
    assert (churned["change"], churned["from"], churned["by"]) == ("churned", "new", None)
    assert churned["case"]["status"] == "churned"
