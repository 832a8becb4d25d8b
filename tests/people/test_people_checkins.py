""" "Is Acme still a customer?" (docs/reports.md, *Did the save last?*) reaches the owner in
their own working hours, or their cover while they are away (docs/hours.md), end to end
through the real Bolt app and the Slack stand-in on an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.policy import Policy, parse_policy
from storage.models import Case, SaveCheckin
from tests.conftest import RunningApp, seed_account
from tests.people.test_people_away import HOURS_POLICY, command
from tests.people.zones import lives_in

CHECKIN_POLICY = HOURS_POLICY + "\n[reports]\nsave_checkpoints = [30]\n"
THURSDAY = datetime(2027, 1, 7, 2, 0, tzinfo=UTC)  # Thursday 15:00 in Auckland
DUE = THURSDAY + timedelta(days=30)  # Saturday 6 February, 15:00 in Auckland
MONDAY_AUCKLAND = datetime(2027, 2, 7, 20, 0, tzinfo=UTC)  # Monday 8 February, 09:00


@pytest.fixture
def policy() -> Policy:
    return parse_policy(CHECKIN_POLICY, "test-policy.toml")


def questions(app: RunningApp, user: str) -> list[str]:
    texts = [m["text"] for m in app.standin.messages(f"D{user[1:]}")]
    return [t for t in texts if "check-in" in t]


def checkin(app: RunningApp) -> SaveCheckin:
    with app.services.db.read() as session:
        row = session.scalars(select(SaveCheckin)).first()
        assert row is not None
        return row


def saved_in_auckland(app: RunningApp, clock: FakeClock) -> None:
    """Acme, owned by U0AE (in Auckland), saved on Thursday afternoon there."""
    lives_in(app, "U0AE")
    clock.set(THURSDAY)
    account = seed_account(app.services, "acme", "Acme Corp", account_owner="U0AE")
    app.services.cases.open(account, Signal(kind="cancellation", source="test"))
    app.tick()
    with app.services.db.read() as session:
        case = session.scalars(select(Case)).one()
    app.services.cases.close(case.id, "U0AE", "saved")
    app.tick()


def test_a_check_in_due_on_a_weekend_waits_for_the_owners_monday(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """30 days after a Thursday save is a Saturday: before, the question went then."""
    app = running_app
    saved_in_auckland(app, clock)
    clock.set(DUE + timedelta(minutes=1))
    app.tick()
    assert questions(app, "U0AE") == [] and checkin(app).state == "pending"
    clock.set(MONDAY_AUCKLAND - timedelta(minutes=1))
    app.tick()
    assert questions(app, "U0AE") == []
    clock.set(MONDAY_AUCKLAND + timedelta(minutes=1))
    app.tick()
    (question,) = questions(app, "U0AE")
    assert "is *Acme Corp* still a customer?" in question
    assert (checkin(app).state, checkin(app).asked_to) == ("asked", "U0AE")


def test_a_check_in_while_the_owner_is_away_asks_their_cover(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    saved_in_auckland(app, clock)
    command(app, "away 2027-02-01 2027-02-12 cover <@U0SAVE2|sam>", "U0AE")
    clock.set(datetime(2027, 2, 8, 15, 0, tzinfo=UTC))  # Monday 10:00 in New York
    app.tick()
    assert questions(app, "U0AE") == []
    (question,) = questions(app, "U0SAVE2")
    assert "is *Acme Corp* still a customer?" in question
    assert checkin(app).asked_to == "U0SAVE2"
    thread = [m["text"] for m in app.standin.messages("C0CASES")]
    assert any("check-in" in t and "covered by <@U0SAVE2>" in t for t in thread)
