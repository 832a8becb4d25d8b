"""Time off at its edges (docs/hours.md, *Time off and cover*), end to end through the real
Bolt app and the Slack stand-in on an injected clock: two stretches of time off that
overlap are one absence (nothing is handed back, and no welcome-back DM, while the person
is still away), whether both were typed or one is a Slack status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.common.clock import FakeClock
from tests.conftest import RunningApp, eventually, seed_account
from tests.people.test_people_away import (
    STATUS_POLICY,
    _status,
    cases,
    command,
    dms,
    policy,
    time_offs,
)
from tests.people.zones import lives_in
from tests.slack_events import delivered

__all__ = ["policy"]  # the fixture reads each test's policy parameter

MONDAY = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday 10:00 New York


def test_overlapping_time_off_hands_back_once_at_the_end_of_the_last(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """Away Monday-Wednesday and Tuesday-Friday: the case opened for them meanwhile stays
    with the cover until Friday ends, then one DM; before, the first stretch's end handed
    it back (to someone still away) and said "Welcome back" on Thursday."""
    app = running_app
    clock.set(MONDAY)
    seed_account(app.services, "acme", "Acme Corp", account_owner="U0AE")
    assert "covered by <@U0SAVE2>" in command(
        app, "away 2027-01-04 2027-01-06 cover <@U0SAVE2|sam>", "U0AE"
    )
    widened = command(app, "away 2027-01-05 2027-01-08", "U0AE")
    assert "covered by <@U0SAVE2>" in widened  # one stretch, Monday to Friday, same cover
    assert len(time_offs(app, "U0AE")) == 1
    app.tick()
    command(app, "cancel acme leaving", "U0CSM")
    eventually(lambda: cases(app))
    assert cases(app)[0].owner == "U0SAVE2"

    clock.set(datetime(2027, 1, 7, 15, 0, tzinfo=UTC))  # Thursday: the first stretch is over
    app.tick()
    assert cases(app)[0].owner == "U0SAVE2"
    assert not [t for t in dms(app, "U0AE") if "Welcome back" in t]

    clock.set(datetime(2027, 1, 9, 15, 0, tzinfo=UTC))  # Saturday: back
    app.tick()
    assert cases(app)[0].owner == "U0AE"
    (back,) = [t for t in dms(app, "U0AE") if "Welcome back" in t]
    assert "handed back: #1" in back
    assert str(int(MONDAY.timestamp())) in back  # since the first stretch began


@pytest.mark.parametrize("policy", [STATUS_POLICY], indirect=True)
def test_a_status_inside_typed_time_off_does_not_end_it_early(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """Away Monday-Friday by command, and a :palm_tree: status to Wednesday: the thread
    says "away until" Friday once, and the status's end hands nothing back and sends no DM
    (before, it said "until Wednesday" too, and handed the case back on Wednesday)."""
    app = running_app
    clock.set(MONDAY)
    seed_account(app.services, "globex", "Globex", account_owner="U0AE")
    seed_account(app.services, "acme", "Acme Corp", account_owner="U0AE")
    command(app, "cancel globex leaving", "U0CSM")  # their own case, before they leave
    eventually(lambda: cases(app))
    command(app, "away 2027-01-04 2027-01-08 cover <@U0SAVE2|sam>", "U0AE")
    app.tick()
    _status(app, "U0AE", ":palm_tree:", MONDAY + timedelta(days=2))
    eventually(lambda: len(time_offs(app, "U0AE")) == 2)
    app.tick()
    thread = [m["text"] for m in app.standin.messages("C0CASES")]
    (said,) = [t for t in thread if "Owner <@U0AE> away until" in t]  # once: until Friday
    assert str(int(time_offs(app, "U0AE")[0].ends_at.replace(tzinfo=UTC).timestamp())) in said
    command(app, "cancel acme leaving", "U0CSM")
    eventually(lambda: len(cases(app)) == 2)
    assert cases(app)[1].owner == "U0SAVE2"

    clock.set(MONDAY + timedelta(days=3))  # Thursday: the status expired
    app.tick()
    assert cases(app)[1].owner == "U0SAVE2"
    assert not [t for t in dms(app, "U0AE") if "Welcome back" in t]

    clock.set(datetime(2027, 1, 9, 15, 0, tzinfo=UTC))  # Saturday: back
    app.tick()
    assert cases(app)[1].owner == "U0AE"
    (back,) = [t for t in dms(app, "U0AE") if "Welcome back" in t]
    assert "handed back: #2" in back


def test_a_cover_who_is_away_too_is_named_and_passed_over(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """The answer warns that the cover is away then too (before, it said nothing), and a
    case opened meanwhile goes to the save desk, not to the absent cover."""
    app = running_app
    clock.set(MONDAY)
    seed_account(app.services, "acme", "Acme Corp", account_owner="U0AE")
    command(app, "away 2027-01-05 2027-01-06", "U0SAVE2")
    answer = command(app, "away 2027-01-04 2027-01-08 cover <@U0SAVE2|sam>", "U0AE")
    assert ":warning: <@U0SAVE2> is away too" in answer
    assert "the save desk or a manager covers" in answer
    assert ":warning:" not in command(app, "away 2027-01-07 2027-01-08", "U0SAVE1")
    clock.set(MONDAY + timedelta(days=1))  # Tuesday: both away
    app.tick()
    command(app, "cancel acme leaving", "U0CSM")
    eventually(lambda: cases(app))
    owner = cases(app)[0].owner
    assert owner in {"U0SAVE1", "U0SAVE3"}  # the save desk's members not away on Tuesday
    app.tick()
    thread = [m["text"] for m in app.standin.messages("C0CASES")]
    assert any("<@U0AE> is away until" in t and f"covered by <@{owner}>" in t for t in thread)


def test_bad_away_input_is_refused_with_its_reason(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    clock.set(MONDAY)
    refusals = {
        "away 2026-12-01 2026-12-24": "already over",
        "away 2027-01-04 2028-02-01": "a year at most",
        "away 2027-01-08 2027-01-04": "on or after",
        "away 2027-01-04 2027-01-08 cover <@U0AE|me>": "someone else",
        "away 2027-01-04 2027-01-08 cover jo": "@-mention",
        "away 2027-01-04": "two days",
        "away someday fri": "days are",
        "away 2027-02-30 2027-03-01": "days are",
    }
    for text, why in refusals.items():
        assert why in command(app, text, "U0AE"), text
    assert time_offs(app, "U0AE") == []


def test_time_off_across_a_dst_change_is_whole_local_days(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """New York springs forward on Sunday 14 March 2027: Saturday to Sunday is 47 hours,
    from Saturday 00:00 EST to Monday 00:00 EDT."""
    app = running_app
    clock.set(MONDAY)
    command(app, "away 2027-03-13 2027-03-14", "U0AE")
    (off,) = time_offs(app, "U0AE")
    starts, ends = off.starts_at.replace(tzinfo=UTC), off.ends_at.replace(tzinfo=UTC)
    assert (starts, ends) == (
        datetime(2027, 3, 13, 5, 0, tzinfo=UTC),
        datetime(2027, 3, 15, 4, 0, tzinfo=UTC),
    )


def test_a_nudge_waiting_for_someones_morning_goes_to_their_cover_if_they_left(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """An escalation in the Auckland owner's hours (Monday 17:00 in New York) reaches the
    New York manager the next morning there; their time off starts that day, so their
    cover gets it (before, the copy that waited went to the manager, away by then)."""
    app = running_app
    lives_in(app, "U0AE")
    start = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)  # Monday 15:00 in Auckland
    clock.set(start)
    seed_account(app.services, "acme", "Acme Corp", account_owner="U0AE")
    command(app, "cancel acme leaving", "U0CSM")
    eventually(lambda: cases(app))
    command(app, "away 2027-01-05 2027-01-05 cover <@U0SAVE2|sam>", "U0MGR")  # Tuesday
    seen: dict[str, list[tuple[datetime, str]]] = {"U0MGR": [], "U0SAVE2": []}
    for hour in range(0, 40):
        clock.set(start + timedelta(hours=hour, minutes=1))
        before = {user: len(dms(app, user)) for user in seen}
        app.tick()
        for user in seen:
            seen[user] += [(clock.now(), t) for t in dms(app, user)[before[user] :]]
    assert seen["U0MGR"] == []
    (at, escalation), *_ = seen["U0SAVE2"]
    assert escalation.startswith(":rotating_light: Escalating")
    assert "<@U0MGR> is away until" in escalation and "covered by <@U0SAVE2>" in escalation
    assert at.astimezone(ZoneInfo("America/New_York")).strftime("%a %H") == "Tue 09"


def test_a_manager_cannot_set_time_off_for_someone_not_in_the_workspace(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """Before, `/churn away <@deactivated> …` by a manager was stored as time off."""
    app = running_app
    app.standin.add_user("U0GONE", deleted=True)
    clock.set(MONDAY)
    answer = command(app, "away <@U0GONE|gone> 2027-01-04 2027-01-08", "U0MGR")
    assert answer.startswith(":no_entry: <@U0GONE>")
    assert time_offs(app, "U0GONE") == []
    assert ":palm_tree: Away" in command(app, "away <@U0AE|ae> 2027-01-04 2027-01-08", "U0MGR")


def test_someone_deactivated_while_away_gets_nothing_handed_back(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """The case opened for them stays with the cover when their time off ends, the thread
    saying why, and no welcome-back DM goes to the deactivated member (it was handed back
    to them before)."""
    app = running_app
    clock.set(MONDAY)
    seed_account(app.services, "acme", "Acme Corp", account_owner="U0AE")
    command(app, "away 2027-01-04 2027-01-06 cover <@U0SAVE2|sam>", "U0AE")
    app.tick()
    command(app, "cancel acme leaving", "U0CSM")
    eventually(lambda: cases(app))
    assert cases(app)[0].owner == "U0SAVE2"
    gone = app.standin.change_user("U0AE", deleted=True)
    assert delivered(app.slack, {"type": "user_change", "user": gone}).status == 200

    clock.set(datetime(2027, 1, 7, 15, 0, tzinfo=UTC))  # Thursday: the time off is over
    app.tick()
    assert cases(app)[0].owner == "U0SAVE2"
    assert not [t for t in dms(app, "U0AE") if "Welcome back" in t]
    thread = [m["text"] for m in app.standin.messages("C0CASES")]
    assert any("Not handed back: <@U0AE>" in t for t in thread), thread
