"""What a case costs the cases channel: Slack paces `chat.postMessage` at about one per
second per channel, so every thread line is a second a burst of new cases waits. Lines
that only restate the root are root edits (`chat.update`, not paced like a post); what
people must read (an approval request, why routing fell back) stays a thread reply."""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import select

from bot.cases.models import Signal
from slack_edge.case_messages import CaseAction
from slack_edge.offer_messages import OfferAction
from storage.models import Case, CaseEvent, Offer
from tests.conftest import RunningApp, eventually, seed_account


def the_case(app: RunningApp) -> Case | None:
    with app.services.db.read() as session:
        return session.scalars(select(Case)).first()


def the_offer(app: RunningApp) -> Offer | None:
    with app.services.db.read() as session:
        return session.scalars(select(Offer)).first()


def event_types(app: RunningApp) -> list[str]:
    with app.services.db.read() as session:
        return list(session.scalars(select(CaseEvent.type).order_by(CaseEvent.id)))


def press(app: RunningApp, action_id: str, value: int, user: str) -> None:
    payload = app.slack.block_action(
        action_id, str(value), user_id=user, channel_id="C0CASES", message_ts="1.0"
    )
    assert app.slack.interactive(payload).status == 200


def propose(app: RunningApp, case_id: int, user: str) -> None:
    values = {
        "type": {"type": {"type": "static_select", "selected_option": {"value": "discount"}}},
        "value": {"value": {"type": "number_input", "value": "20000"}},
        "discount_pct": {"discount_pct": {"type": "number_input", "value": "30"}},
        "duration": {"duration": "3 months"},
        "justification": {"justification": "budget freeze this year"},
        "tried": {"tried": ""},
    }
    metadata = json.dumps({"case_id": case_id})
    payload = app.slack.view_submission(
        "case_offer_view", values, user_id=user, private_metadata=metadata
    )
    assert app.slack.interactive(payload).status == 200


def case_life(app: RunningApp) -> Case:
    """A typical case over HTTP: opened by the CSM, acknowledged by its owner (the account
    owner), a save offer proposed and approved by a manager, accepted, saved."""
    seed_account(app.services, "acme", "Acme Corp")
    assert app.slack.slash_command("cancel acme budget cut", user_id="U0CSM").status == 200
    case = eventually(lambda: the_case(app))
    app.tick()
    press(app, CaseAction.ACKNOWLEDGE.value, case.id, "U0AE")
    eventually(lambda: the_case(app).status == "acknowledged")  # type: ignore[union-attr]
    propose(app, case.id, "U0AE")
    offer = eventually(lambda: the_offer(app))
    press(app, OfferAction.APPROVE.value, offer.id, "U0MGR")
    eventually(lambda: the_offer(app).status == "approved")  # type: ignore[union-attr]
    press(app, OfferAction.ACCEPTED.value, offer.id, "U0AE")
    eventually(lambda: the_offer(app).outcome == "accepted")  # type: ignore[union-attr]
    press(app, CaseAction.SAVED.value, case.id, "U0AE")
    saved = eventually(lambda: (c := the_case(app)) is not None and c.status == "saved" and c)
    app.tick()
    return saved


def posts_per_channel(app: RunningApp) -> Counter[str]:
    return Counter(call.args["channel"] for call in app.standin.calls("chat.postMessage"))


def test_a_case_life_posts_four_times_in_the_cases_channel(running_app: RunningApp) -> None:
    """Before, this life posted 8 messages in the cases channel (root, "Case opened",
    acknowledged, offer proposed, the request, approved, accepted, saved); now 4: the root,
    a line per change of status (acknowledged, saved) and the offer's request, edited as
    it is decided and answered."""
    app = running_app
    case_life(app)
    posts = posts_per_channel(app)
    assert posts["C0CASES"] == 4, posts
    root, acknowledged, request, saved = app.standin.messages("C0CASES")
    assert root.get("thread_ts") is None and request["thread_ts"] == root["ts"]
    assert "acknowledged" in acknowledged["text"] and acknowledged["thread_ts"] == root["ts"]
    assert "marked the case saved" in saved["text"] and saved["thread_ts"] == root["ts"]
    assert "Save offer #1" in request["text"]
    body = json.dumps(request["blocks"])
    assert "Approved by <@U0MGR>" in body and "customer accepted" in body
    shown = json.dumps(root["blocks"])
    assert "*Status*\\n:white_check_mark: Saved" in shown
    assert "<@U0AE> marked the case saved" in shown
    assert app.standin.calls("chat.update")  # the root and the request, edited in place
    assert event_types(app) == [
        "opened",
        "status",
        "offer_proposed",
        "offer_approved",
        "offer_accepted",
        "status",
    ]  # every change is still on the case's timeline (App Home, outbound events)


def test_a_new_case_shows_who_opened_it_on_the_root(running_app: RunningApp) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme Corp")
    app.slack.slash_command("cancel acme budget cut", user_id="U0CSM")
    eventually(lambda: the_case(app))
    app.tick()
    (root,) = app.standin.messages("C0CASES")
    shown = json.dumps(root["blocks"])
    assert "Case opened by <@U0CSM> from /churn" in shown
    assert "routed to the account executive" in shown
    assert posts_per_channel(app)["C0CASES"] == 1


def test_what_people_must_read_is_still_a_reply(running_app: RunningApp) -> None:
    """Why routing fell back, and a reason given for closing, are news: thread replies."""
    app = running_app
    seed_account(app.services, "acme", "Acme Corp", account_owner=None)
    app.slack.slash_command("cancel acme budget cut", user_id="U0CSM")
    case = eventually(lambda: the_case(app))
    app.tick()
    app.services.cases.close(case.id, "U0CSM", "churned", "chose a cheaper tool")
    app.tick()
    replies = [m["text"] for m in app.standin.messages("C0CASES") if m.get("thread_ts")]
    assert any(r.startswith("Routing: nobody holds `account_owner`") for r in replies)
    assert any("marked the case churned" in r and "chose a cheaper tool" in r for r in replies)


def test_reassigning_and_risk_are_lines_and_the_root_shows_them(running_app: RunningApp) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme Corp")
    app.slack.slash_command("cancel acme budget cut", user_id="U0CSM")
    case = eventually(lambda: the_case(app))
    app.tick()
    app.services.cases.reassign(case.id, "U0MGR", "U0SAVE1")
    app.services.cases.set_risk(case.id, "U0SAVE1", "high")
    app.tick()
    assert posts_per_channel(app)["C0CASES"] == 3  # the root, a line per change
    root, reassigned, risk = app.standin.messages("C0CASES")
    assert "reassigned the case from <@U0AE> to <@U0SAVE1>" in reassigned["text"]
    assert "changed the risk level from medium to high" in risk["text"]
    shown = json.dumps(root["blocks"])
    assert "*Owner*\\n<@U0SAVE1>" in shown and "*Risk*\\n:red_circle: high" in shown
    assert "<@U0SAVE1> changed the risk level from medium to high." in shown
    assert any("You own a new case" in m["text"] for m in app.standin.messages("D0SAVE1"))


def test_a_signal_s_details_never_write_what_the_root_shows(running_app: RunningApp) -> None:
    """A webhook's `details` are the sender's JSON: keys Savedesk keeps in the case's details
    (the latest change, an overdue invoice) are not taken from it."""
    app = running_app
    account = seed_account(app.services, "acme", "Acme Corp")
    forged = {"text": "<!channel> pay here <https://evil.example|now>", "at": "2026-01-01"}
    details = {"latest": forged, "overdue_invoice": forged, "plan": "pro"}
    signal = Signal(kind="usage_drop", source="crm", details=details)
    app.services.cases.open(account, signal)
    app.tick()
    (root,) = app.standin.messages("C0CASES")
    assert "evil.example" not in json.dumps(root["blocks"])
    case = the_case(app)
    assert case is not None and case.details["plan"] == "pro"
