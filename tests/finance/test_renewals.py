"""The pre-renewal check: asked once at 90 days, nudged while unanswered, answers posted
in the finance channel (tick and the Slack stand-in; the clock injected)."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.finance.dunning import today_in
from storage.models import RenewalCheck
from tests.conftest import RunningApp, eventually, seed_account


def dms(app: RunningApp, user: str) -> list[str]:
    return [m["text"] for m in app.standin.messages(f"D{user[1:]}")]


def checks(app: RunningApp) -> list[RenewalCheck]:
    with app.services.db.read() as session:
        return list(session.scalars(select(RenewalCheck).order_by(RenewalCheck.id)))


def renewing_in(app: RunningApp, days: int) -> str:
    return (today_in(app.services.policy, app.services.clock.now()) + timedelta(days)).isoformat()


def press(app: RunningApp, action: str, check_id: int, user: str) -> None:
    payload = app.slack.block_action(
        action, str(check_id), user_id=user, channel_id=f"D{user[1:]}", message_ts="1.0"
    )
    assert app.slack.interactive(payload).status == 200


def submit_hold(app: RunningApp, check_id: int, user: str, reason: str) -> dict:
    payload = app.slack.view_submission(
        "renewal_hold_view",
        {"reason": {"reason": reason}},
        user_id=user,
        private_metadata=json.dumps({"v": 1, "check_id": check_id}),
    )
    reply = app.slack.interactive(payload)
    assert reply.status == 200
    return reply.json() if reply.body else {}


def test_asked_once_at_90_days_then_nudged_until_answered(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    seed_account(
        app.services, "acme", "Acme", renewal_date=date.fromisoformat(renewing_in(app, 91))
    )
    app.tick()
    assert dms(app, "U0CSM") == []
    clock.advance(timedelta(days=1))
    app.tick()
    app.tick()
    asked = app.standin.messages("D0CSM")
    assert len(asked) == 1 and "OK to send the renewal invoice for *Acme*" in asked[0]["text"]
    assert "60,000" in asked[0]["text"]
    buttons = json.dumps(asked[0]["blocks"])
    assert "Yes, send it" in buttons and "Hold" in buttons
    clock.advance(timedelta(hours=4))  # escalation.acknowledge_within
    app.tick()
    assert len(dms(app, "U0CSM")) == 2 and "Still waiting" in dms(app, "U0CSM")[1]
    (check,) = checks(app)
    press(app, "renewal_yes", check.id, "U0STRANGER")  # refused, only to the clicker
    assert "Only the CSM" in app.standin.wait_for_responses(1)[-1]["text"]
    press(app, "renewal_hold", check.id, "U0CSM")
    modal = eventually(lambda: [v for v in app.standin.views() if v.get("type") == "modal"])[-1]
    assert modal["callback_id"] == "renewal_hold_view" and "Acme" in json.dumps(modal)
    assert submit_hold(app, check.id, "U0CSM", "   ") == {
        "response_action": "errors",
        "errors": {"reason": "Say why the invoice should be held."},
    }
    assert checks(app)[0].answer is None
    assert submit_hold(app, check.id, "U0CSM", "Customer disputes the seat count") == {}
    press(app, "renewal_yes", check.id, "U0FIN")  # the first answer stands
    assert "Already answered" in app.standin.wait_for_responses(2)[-1]["text"]
    app.tick()
    lines = [m["text"] for m in app.standin.messages("C0FINANCE")]
    assert len(lines) == 1 and "*Hold*" in lines[0] and "<@U0CSM>" in lines[0]
    assert "Customer disputes the seat count" in lines[0] and "<!date^" in lines[0]
    edits = app.standin.calls("chat.update")
    assert [c.args["text"] for c in edits] == [lines[0]]
    assert "Yes, send it" not in json.dumps(edits[0].args["blocks"])
    clock.advance(timedelta(days=3))
    app.tick()
    assert len(dms(app, "U0CSM")) == 2  # answered: no more nudges
    (check,) = checks(app)
    assert (check.answer, check.answered_by) == ("hold", "U0CSM")


def test_open_churn_case_is_linked_and_yes_is_posted(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app

    renewal = date.fromisoformat(renewing_in(app, 30))
    account = seed_account(app.services, "acme", "Acme", renewal_date=renewal)
    opened = app.services.signals.open(account, Signal(kind="cancellation", source="test"))
    app.tick()
    question = dms(app, "U0CSM")[-1]
    assert f"case #{opened.case_id}" in question and "https://" in question
    (check,) = checks(app)
    assert check.case_id == opened.case_id
    press(app, "renewal_yes", check.id, "U0FIN")
    app.tick()
    lines = [m["text"] for m in app.standin.messages("C0FINANCE")]
    assert len(lines) == 1 and "*OK to send*" in lines[0] and "<@U0FIN>" in lines[0]


def test_past_renewals_and_accounts_without_dates_are_not_asked(
    running_app: RunningApp,
) -> None:
    app = running_app

    seed_account(app.services, "old", "Old", renewal_date=date.fromisoformat(renewing_in(app, -1)))
    seed_account(app.services, "none", "None")
    app.tick()
    assert checks(app) == []


def test_a_csm_who_is_not_a_real_person_is_never_asked(running_app: RunningApp) -> None:
    """Deactivated in Slack before anyone told the app (no `user_change`): the question
    goes to the account owner instead, saying why (docs/dunning.md, *Pre-renewal check*)."""
    app = running_app
    app.standin.change_user("U0CSM", deleted=True)
    renews = date.fromisoformat(renewing_in(app, 90))
    seed_account(app.services, "acme", "Acme", renewal_date=renews)
    app.tick()
    assert dms(app, "U0CSM") == []
    (asked,) = dms(app, "U0AE")
    assert "OK to send the renewal invoice for *Acme*" in asked
    assert "<@U0CSM> (the account's CSM) is deactivated in Slack" in asked
    assert checks(app)[0].asked_to == "U0AE"


def test_nobody_real_to_ask_asks_finance(running_app: RunningApp) -> None:
    app = running_app
    app.standin.change_user("U0CSM", is_bot=True)
    app.standin.change_user("U0AE", team_id="T0OTHER", is_stranger=True)
    renews = date.fromisoformat(renewing_in(app, 90))
    seed_account(app.services, "acme", "Acme", renewal_date=renews)
    app.tick()
    assert dms(app, "U0CSM") == [] and dms(app, "U0AE") == []
    (asked,) = [m["text"] for m in app.standin.messages("C0FINANCE")]
    assert "<@U0CSM> (the account's CSM) is a bot" in asked
    assert "<@U0AE> (the account owner) belongs to another organisation" in asked
    assert "finance, please answer" in asked
    assert checks(app)[0].asked_to is None
