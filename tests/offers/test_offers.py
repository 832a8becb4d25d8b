"""Save offers end to end: propose in the thread, approve by policy, record the answer."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.cases.models import Refused, Signal
from bot.common.clock import FakeClock
from bot.offers.service import OfferInput
from slack_edge.case_messages import CaseAction
from slack_edge.offer_messages import OfferAction
from storage.models import Case, Offer, ScheduledStep
from tests.conftest import RunningApp, eventually, seed_account, unpaced
from wiring import build_services


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    account = seed_account(running_app.services, "acme", "Acme Corp")
    running_app.services.cases.open(account, Signal(kind="cancellation", source="test"))
    running_app.tick()
    return running_app


def offers(app: RunningApp) -> list[Offer]:
    with app.services.db.session() as session:
        return list(session.scalars(select(Offer).order_by(Offer.id)))


def the_case(app: RunningApp) -> Case:
    with app.services.db.session() as session:
        case = session.scalars(select(Case)).first()
        assert case is not None
        return case


def propose(app: RunningApp, user: str = "U0AE", **fields: str) -> dict:
    values = {
        "type": {"type": {"type": "static_select", "selected_option": {"value": "discount"}}},
        "value": {"value": {"type": "number_input", "value": fields.get("value", "2000")}},
        "discount_pct": {"discount_pct": {"type": "number_input", "value": fields.get("pct", "5")}},
        "duration": {"duration": "3 months"},
        "justification": {"justification": fields.get("why", "good fit, budget freeze")},
        "tried": {"tried": ""},
    }
    payload = app.slack.view_submission(
        "case_offer_view", values, user_id=user, private_metadata=json.dumps({"case_id": 1})
    )
    response = app.slack.interactive(payload)
    return response.json() if response.body else {}


def press(app: RunningApp, action: OfferAction, offer_id: int, user: str) -> None:
    payload = app.slack.block_action(
        action.value, str(offer_id), user_id=user, channel_id="C0CASES", message_ts="1.0"
    )
    assert app.slack.interactive(payload).status == 200


def last_response(app: RunningApp, count: int) -> str:
    return app.standin.wait_for_responses(count)[-1]["text"]


def test_offer_under_threshold_applies_without_approval(app: RunningApp) -> None:
    assert propose(app) == {}
    offer = eventually(lambda: offers(app) and offers(app)[0])
    assert (offer.status, offer.approver) == ("approved", "none")
    app.tick()
    thread = json.dumps(app.standin.messages("C0CASES"))
    assert "Applied within policy" in thread and "Customer accepted" in thread
    assert "Approve" not in thread


def test_offer_over_threshold_waits_for_a_manager(app: RunningApp) -> None:
    propose(app, value="20000", pct="30")
    offer = eventually(lambda: offers(app) and offers(app)[0])
    assert (offer.status, offer.approver) == ("pending", "managers")
    app.tick()
    request = next(m for m in app.standin.messages("C0CASES") if "Save offer #1" in m["text"])
    assert "<@U0MGR>" in json.dumps(request["blocks"])

    press(app, OfferAction.APPROVE, offer.id, "U0CSM")
    assert "Only the approvers" in last_response(app, 1)
    press(app, OfferAction.APPROVE, offer.id, "U0AE")
    assert "someone else must decide" in last_response(app, 2)
    assert offers(app)[0].status == "pending"

    press(app, OfferAction.APPROVE, offer.id, "U0MGR")
    eventually(lambda: offers(app)[0].status == "approved")
    app.tick()
    edited = app.standin.messages("C0CASES")
    request = next(m for m in edited if m["ts"] == request["ts"])
    body = json.dumps(request["blocks"])
    assert "Approved by <@U0MGR>" in body and "offer_approve" not in body
    assert "Customer accepted" in body
    assert any("was approved" in m["text"] for m in app.standin.messages("D0AE"))


def test_manager_proposing_cannot_approve_own_offer(running_app: RunningApp) -> None:
    services = running_app.services
    account = seed_account(services, "globex", "Globex")
    services.cases.open(account, Signal(kind="cancellation", source="test"))
    data = OfferInput("free_months", Decimal(20000), None, "2 months", "keep them", None)
    offer = services.offers.propose(1, "U0MGR", data)
    with pytest.raises(Refused, match="someone else must decide"):
        services.offers.decide(offer.id, "U0MGR", "approve")


def test_two_approvers_at_once_make_one_decision(running_app: RunningApp) -> None:
    services = running_app.services
    account = seed_account(services, "acme", "Acme Corp")
    services.cases.open(account, Signal(kind="cancellation", source="test"))
    policy = services.policy
    roles = dict(policy.roles)
    roles["managers"] = ("U0MGR", "U0MGR2")
    two = unpaced(build_services(services.settings, replace(policy, roles=roles), services.clock))
    data = OfferInput("custom", Decimal(30000), None, None, "big", None)
    offer = two.offers.propose(1, "U0AE", data)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def decide(user: str, decision: str) -> None:
        barrier.wait()
        try:
            two.offers.decide(offer.id, user, decision)
            outcomes.append("won")
        except Exception as err:
            outcomes.append(str(err))

    threads = [
        threading.Thread(target=decide, args=a)
        for a in (("U0MGR", "approve"), ("U0MGR2", "reject"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("won") == 1
    assert any("already" in o for o in outcomes)
    with two.db.session() as session:
        events = [e.type for e in session.scalars(select(Offer))]
    assert len(events) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pct": "150"}, "discount_pct"),
        ({"pct": "-1"}, "discount_pct"),
        ({"value": "lots"}, "value"),
        ({"why": "  "}, "justification"),
    ],
)
def test_invalid_offer_input_is_an_inline_error(
    app: RunningApp, fields: dict[str, str], field: str
) -> None:
    answer = propose(app, **fields)
    assert answer["response_action"] == "errors"
    assert field in answer["errors"]
    assert offers(app) == []


def test_accepted_offer_then_saved_reports_saved_arr_and_cost(app: RunningApp) -> None:
    propose(app, value="1500")
    offer = eventually(lambda: offers(app) and offers(app)[0])
    press(app, OfferAction.ACCEPTED, offer.id, "U0AE")
    eventually(lambda: offers(app)[0].outcome == "accepted")
    payload = app.slack.block_action(
        CaseAction.SAVED.value, "1", user_id="U0AE", channel_id="C0CASES", message_ts="1.0"
    )
    app.slack.interactive(payload)
    case = eventually(lambda: the_case(app).status == "saved" and the_case(app))
    assert (case.arr_saved, case.offer_cost) == (60000, 1500)


def test_declined_offer_keeps_case_open_and_is_listed_as_tried(app: RunningApp) -> None:
    propose(app, value="1500")
    offer = eventually(lambda: offers(app) and offers(app)[0])
    press(app, OfferAction.DECLINED, offer.id, "U0AE")
    eventually(lambda: offers(app)[0].outcome == "declined")
    assert the_case(app).status in ("new", "working", "acknowledged")
    payload = app.slack.block_action(
        CaseAction.OFFER.value, "1", user_id="U0AE", channel_id="C0CASES", message_ts="1.0"
    )
    app.slack.interactive(payload)
    view = json.dumps(app.standin.wait_for_calls("views.open")[-1].args["view"])
    assert "Already rejected or declined here: Discount" in view
    assert "(declined)" in view


def test_pending_approval_nudges_approvers(app: RunningApp, clock: FakeClock) -> None:
    propose(app, value="20000", pct="30")
    eventually(lambda: offers(app))
    app.tick()
    before = len(app.standin.messages("D0MGR"))
    clock.advance(timedelta(hours=4, minutes=1))
    app.tick()
    assert len(app.standin.messages("D0MGR")) > before
    assert "waiting for a decision" in app.standin.messages("D0MGR")[-1]["text"]


def test_counter_opens_modal_for_approvers_and_records_counter(app: RunningApp) -> None:
    propose(app, value="20000", pct="30")
    offer = eventually(lambda: offers(app) and offers(app)[0])
    press(app, OfferAction.COUNTER, offer.id, "U0CSM")
    assert "Only the approvers" in last_response(app, 1)
    press(app, OfferAction.COUNTER, offer.id, "U0MGR")
    view = app.standin.wait_for_calls("views.open")[-1].args["view"]
    assert view["callback_id"] == "offer_counter_view"
    values = {
        "value": {"value": {"type": "number_input", "value": "12000"}},
        "note": {"note": "15% for a year instead"},
    }
    submit = app.slack.view_submission(
        "offer_counter_view", values, user_id="U0MGR", private_metadata=view["private_metadata"]
    )
    assert app.slack.interactive(submit).status == 200
    countered = eventually(lambda: offers(app)[0].status == "countered" and offers(app)[0])
    assert countered.counter_value == 12000 and countered.decided_by == "U0MGR"
    app.tick()
    assert any("countered at $12,000" in m["text"] for m in app.standin.messages("D0AE"))


def test_deciding_one_offer_leaves_the_other_offers_nudges(running_app: RunningApp) -> None:
    services = running_app.services
    account = seed_account(services, "acme", "Acme Corp")
    services.cases.open(account, Signal(kind="cancellation", source="test"))
    first = services.offers.propose(
        1, "U0AE", OfferInput("custom", Decimal(30000), None, None, "a", None)
    )
    second = services.offers.propose(
        1, "U0AE", OfferInput("custom", Decimal(40000), None, None, "b", None)
    )
    services.offers.decide(first.id, "U0MGR", "reject")
    with services.db.read() as session:
        pending = list(
            session.scalars(select(ScheduledStep.key).where(ScheduledStep.state == "pending"))
        )
    assert f"offer:{second.id}:nudge:1" in pending
    assert f"offer:{first.id}:nudge:1" not in pending
