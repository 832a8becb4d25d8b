"""The pre-renewal check: asked once at 90 days, nudged while unanswered, answers posted
in the finance channel (tick and the Slack stand-in; the clock injected)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.cases.models import Signal
from bot.clock import FakeClock
from bot.finance.dunning import today_in
from bot.finance.renewals import AnswerRefused
from storage.models import RenewalCheck
from tests.conftest import RunningApp, seed_account


def dms(app: RunningApp, user: str) -> list[str]:
    return [m["text"] for m in app.standin.messages(f"D{user[1:]}")]


def checks(app: RunningApp) -> list[RenewalCheck]:
    with app.services.db.read() as session:
        return list(session.scalars(select(RenewalCheck).order_by(RenewalCheck.id)))


def renewing_in(app: RunningApp, days: int) -> str:
    return (today_in(app.services.policy, app.services.clock.now()) + timedelta(days)).isoformat()


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
    asked = dms(app, "U0CSM")
    assert len(asked) == 1 and "OK to send the renewal invoice for *Acme*" in asked[0]
    assert "60,000" in asked[0]
    clock.advance(timedelta(hours=4))  # escalation.acknowledge_within
    app.tick()
    assert len(dms(app, "U0CSM")) == 2 and "Still waiting" in dms(app, "U0CSM")[1]
    (check,) = checks(app)
    finance = app.services.finance.renewals
    with pytest.raises(AnswerRefused, match="why"):
        finance.answer(check.id, "U0CSM", "hold", "  ", clock.now())
    with pytest.raises(AnswerRefused, match="Only"):
        finance.answer(check.id, "U0STRANGER", "yes", None, clock.now())
    finance.answer(check.id, "U0CSM", "hold", "Customer disputes the seat count", clock.now())
    with pytest.raises(AnswerRefused, match="Already answered"):
        finance.answer(check.id, "U0FIN", "yes", None, clock.now())
    app.tick()
    lines = [m["text"] for m in app.standin.messages("C0FINANCE")]
    assert len(lines) == 1 and "*Hold*" in lines[0] and "<@U0CSM>" in lines[0]
    assert "Customer disputes the seat count" in lines[0] and "<!date^" in lines[0]
    assert [c.args["text"] for c in app.standin.calls("chat.update")] == [lines[0]]
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
    app.services.finance.renewals.answer(check.id, "U0FIN", "yes", None, clock.now())
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
