"""Follow-ups: the ladder with a seconds policy and an injected clock, through HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.policy import Policy, parse_policy
from slack_edge.case_messages import CaseAction
from storage import cases as store
from storage.models import ScheduledStep
from tests.conftest import TEST_POLICY, RunningApp, eventually, seed_account, with_policy

SECONDS_POLICY = (
    TEST_POLICY
    + """
[escalation]
acknowledge_within = "2s"
escalate_after = "4s"
repeat_every = "4s"
stale_after = "1h"
"""
)


@pytest.fixture
def policy() -> Policy:
    return parse_policy(SECONDS_POLICY, "seconds.toml")


def open_case(app: RunningApp, external_id: str = "acme") -> int:
    account = seed_account(app.services, external_id, external_id.title())
    opened = app.services.cases.open(account, Signal(kind="cancellation", source="test"))
    app.tick()
    return opened.case_id


def dms(app: RunningApp, user: str) -> list[str]:
    return [m["text"] for m in app.standin.messages(f"D{user[1:]}")]


def thread_lines(app: RunningApp) -> list[str]:
    return [m["text"] for m in app.standin.messages("C0CASES") if m.get("thread_ts")]


def step(app: RunningApp, clock: FakeClock, seconds: float) -> None:
    clock.advance(timedelta(seconds=seconds))
    app.tick()


def test_ladder_nudges_escalates_repeats_until_acknowledged(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    case_id = open_case(app)
    owner_dms = len(dms(app, "U0AE"))
    step(app, clock, 1)
    assert len(dms(app, "U0AE")) == owner_dms, "nothing before acknowledge_within"
    step(app, clock, 1)
    assert len(dms(app, "U0AE")) == owner_dms + 1
    assert any("Nobody has acted" in line for line in thread_lines(app))
    assert not dms(app, "U0MGR")

    step(app, clock, 2)
    assert any("Escalating" in line and "<@U0MGR>" in line for line in thread_lines(app))
    assert len(dms(app, "U0MGR")) == 1
    step(app, clock, 4)
    step(app, clock, 4)
    assert len(dms(app, "U0MGR")) == 3, "escalation, then a repeat every 4s"

    payload = app.slack.block_action(
        CaseAction.ACKNOWLEDGE.value, str(case_id), user_id="U0AE", channel_id="D0AE"
    )
    app.slack.interactive(payload)
    eventually(lambda: app.services.cases.find_account("acme").account)
    eventually(lambda: any("acknowledged" in line for line in _events(app, case_id)))
    before = len(dms(app, "U0MGR")), len(dms(app, "U0AE"))
    for _ in range(5):
        step(app, clock, 4)
    assert (len(dms(app, "U0MGR")), len(dms(app, "U0AE"))) == before


def _events(app: RunningApp, case_id: int) -> list[str]:
    with app.services.db.session() as session:
        return [e.text for e in store.events(session, case_id)]


def test_snooze_pauses_until_it_ends(running_app: RunningApp, clock: FakeClock) -> None:
    app = running_app
    case_id = open_case(app)
    submit = app.slack.view_submission(
        "case_snooze_view",
        {"for": {"for": {"type": "radio_buttons", "selected_option": {"value": "1d"}}}},
        user_id="U0AE",
        private_metadata=json.dumps({"case_id": case_id}),
    )
    assert app.slack.interactive(submit).status == 200
    eventually(lambda: any("snoozed" in t for t in _events(app, case_id)))
    app.tick()
    before = len(dms(app, "U0AE"))
    for _ in range(10):
        step(app, clock, 60 * 60)
    assert len(dms(app, "U0AE")) == before, "no nudges while snoozed"
    step(app, clock, 14 * 60 * 60)
    assert len(dms(app, "U0AE")) == before + 1
    assert "snooze is over" in dms(app, "U0AE")[-1]


def test_after_an_outage_each_case_gets_one_catch_up(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    for name in ("acme", "globex", "initech"):
        open_case(app, name)
    posted = len(app.standin.calls("chat.postMessage"))
    clock.advance(timedelta(days=3))
    app.tick()
    app.tick()
    new_lines = [c.args["text"] for c in app.standin.calls("chat.postMessage")[posted:]]
    in_thread = [t for t in new_lines if t.startswith(":rotating_light: Escalating")]
    assert len(in_thread) == 3 * 3, "per case: one thread line, one DM to owner and manager"
    assert all("missed while Savedesk was offline" in t for t in in_thread)
    assert not any("Nobody has acted" in t for t in new_lines)


def test_tick_twice_at_the_same_moment_sends_once(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    open_case(app)
    clock.advance(timedelta(seconds=2))
    app.services.run_steps()
    app.services.run_steps()
    app.tick()
    nudges = [t for t in dms(app, "U0AE") if "Nobody has acted" in t]
    assert len(nudges) == 1


def test_step_at_night_waits_for_next_business_morning(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    hours_policy = SECONDS_POLICY.replace('business_hours = ""', 'business_hours = "09:00-17:00"')
    office = with_policy(app.services, hours_policy)
    clock.set(datetime(2026, 11, 21, 2, 59, 58, tzinfo=UTC))  # Friday 21:59:58 in New York
    account = seed_account(office, "night", "Night Owl")
    opened = office.cases.open(account, Signal(kind="cancellation", source="test"))
    with office.db.session() as session:
        due = session.scalar(
            select(ScheduledStep.due_at).where(
                ScheduledStep.case_id == opened.case_id, ScheduledStep.kind == "ack_nudge"
            )
        )
    assert due == datetime(2026, 11, 23, 14, 0, tzinfo=UTC), "Monday 09:00 New York"


def pending_kinds(app: RunningApp, case_id: int) -> list[str]:
    with app.services.db.read() as session:
        stmt = select(ScheduledStep.kind).where(
            ScheduledStep.case_id == case_id, ScheduledStep.state == "pending"
        )
        return sorted(session.scalars(stmt))


def test_snoozing_back_to_an_earlier_time_keeps_the_wake_up(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    case_id = open_case(app)
    later = clock.now() + timedelta(days=1)
    for until in (later, later + timedelta(days=1), later):
        app.services.cases.snooze(case_id, "U0AE", until)
    assert pending_kinds(app, case_id) == ["snooze_end"]


def test_two_actions_in_one_second_keep_the_stale_check(running_app: RunningApp) -> None:
    app = running_app
    case_id = open_case(app)
    app.services.cases.acknowledge(case_id, "U0AE")
    app.services.cases.add_note(case_id, "U0AE", "called them")
    assert pending_kinds(app, case_id) == ["stale"]


def test_closing_clears_the_snooze(running_app: RunningApp, clock: FakeClock) -> None:
    app = running_app
    case_id = open_case(app)
    app.services.cases.snooze(case_id, "U0AE", clock.now() + timedelta(days=3))
    app.services.cases.close(case_id, "U0AE", "saved")
    app.services.cases.reopen(case_id, "U0AE")
    assert pending_kinds(app, case_id) == ["stale"]
    clock.advance(timedelta(hours=1, seconds=1))
    app.tick()
    assert "what is the next step" in dms(app, "U0AE")[-1]


def note(app: RunningApp, case_id: int, user: str) -> None:
    """Press **Add note** (the modal opens) and submit it."""
    opened = len(app.standin.calls("views.open"))
    press = app.slack.block_action(
        CaseAction.NOTE.value, str(case_id), user_id=user, channel_id="C0CASES", message_ts="1.0"
    )
    app.slack.interactive(press)
    app.standin.wait_for_calls("views.open", opened + 1)
    submitted = app.slack.view_submission(
        "case_note_view",
        {"note": {"note": f"a word from {user}"}},
        user_id=user,
        private_metadata=json.dumps({"case_id": case_id}),
    )
    assert app.slack.interactive(submitted).status == 200


def test_opening_a_modal_is_not_acting_and_only_the_owner_or_a_manager_stops_the_ladder(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    case_id = open_case(app)
    ladder = ["ack_nudge", "escalate"]
    press = app.slack.block_action(
        CaseAction.NOTE.value, str(case_id), user_id="U0AE", channel_id="C0CASES", message_ts="1.0"
    )
    app.slack.interactive(press)  # the owner opens Add note and closes it again
    app.standin.wait_for_calls("views.open")
    assert pending_kinds(app, case_id) == ladder, "opening a modal changes nothing"
    note(app, case_id, "U0CSM")  # the CSM's note is recorded; the escalation goes on
    assert pending_kinds(app, case_id) == ladder
    step(app, clock, 2)
    assert "Nobody has acted on this case yet" in dms(app, "U0AE")[-1]
    note(app, case_id, "U0MGR")  # a manager's act stops it
    assert pending_kinds(app, case_id) == ["stale"]
    before = len(dms(app, "U0AE"))
    for _ in range(4):
        step(app, clock, 2)
    assert len(dms(app, "U0AE")) == before, "no nudges once the owner or a manager has acted"
    with app.services.db.read() as session:
        case = store.get(session, case_id)
        assert case is not None and case.last_action_at is not None
