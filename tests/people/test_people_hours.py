"""People, not rotas (docs/hours.md), end to end on the test
clock through the real Bolt app and the Slack stand-in: an Auckland owner and a New York
manager each get every nudge inside their own hours; a save-desk member away for a week
gets no new case, their escalation reaches their cover, and one hand-back DM on return."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.common.clock import OffsetClock, write_offset
from bot.policy import Policy, parse_policy
from storage.models import Case
from tests.conftest import TEST_POLICY, RunningApp, eventually, seed_account

HOURS_POLICY = TEST_POLICY.replace('business_hours = ""', 'business_hours = "09:00-17:00"')
SAVE_DESK_POLICY = (
    TEST_POLICY
    + """
[[routing]]
kinds = ["cancellation"]
min_arr = 50000
owner = "save_desk"
"""
)
NUDGES = (":bell:", ":rotating_light:", ":alarm_clock:")


@pytest.fixture
def clock(tmp_path: Path) -> Iterator[OffsetClock]:
    """The test clock: real time plus the seconds in a file the test writes."""
    write_offset(tmp_path / "clock", timedelta(0))
    yield OffsetClock(file=tmp_path / "clock")


@pytest.fixture
def policy(request: pytest.FixtureRequest) -> Policy:
    return parse_policy(getattr(request, "param", HOURS_POLICY), "test-policy.toml")


def set_now(clock: OffsetClock, when: datetime) -> None:
    """Move the test clock so that now is `when` (give or take the test's own run time)."""
    assert clock.file is not None
    write_offset(clock.file, when - datetime.now(UTC))
    assert abs(clock.now() - when) < timedelta(seconds=5)


def dm_texts(app: RunningApp, user: str) -> list[str]:
    return [m["text"] for m in app.standin.messages(f"D{user[1:]}")]


def nudges(app: RunningApp, user: str) -> list[str]:
    """The follow-up DMs `user` got (not the "You own a new case" one)."""
    return [t for t in dm_texts(app, user) if t.startswith(NUDGES) and "You own" not in t]


def command(app: RunningApp, text: str, user: str) -> str:
    """Type `/churn …` and return the ephemeral answer (in the acknowledgement, or after)."""
    seen = len(app.standin.responses())
    answer = app.slack.slash_command(text, user_id=user)
    assert answer.status == 200
    acked = answer.json().get("text", "") if answer.body else ""
    return acked or eventually(lambda: app.standin.responses()[seen:])[-1]["text"]


def local(when: datetime, tz: str) -> datetime:
    return when.astimezone(ZoneInfo(tz))


def in_hours(when: datetime, tz: str) -> bool:
    at = local(when, tz)
    return at.weekday() < 5 and 9 <= at.hour < 17


WORKING_CLOCK_POLICY = HOURS_POLICY + '\n[people]\nescalation_clock = "working"\n'


@pytest.mark.parametrize(
    ("policy", "first_nudge"),
    [
        # elapsed (the default): 4 h after Monday 15:00 is 19:00, so Tuesday's opening
        pytest.param(HOURS_POLICY, "Tue 09", id="elapsed"),
        # working: Monday 15:00-17:00 and Tuesday 09:00-11:00 Auckland
        pytest.param(WORKING_CLOCK_POLICY, "Tue 11", id="working"),
    ],
    indirect=["policy"],
)
def test_auckland_owner_and_new_york_manager_are_nudged_in_their_own_hours(
    running_app: RunningApp, clock: OffsetClock, first_nudge: str
) -> None:
    app = running_app
    app.standin.add_user("U0AE", tz="Pacific/Auckland")
    app.standin.add_user("U0MGR", tz="America/New_York")
    start = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)  # Monday 15:00 Auckland, Sunday 21:00 NY
    set_now(clock, start)
    seed_account(app.services, "acme", "Acme Corp")
    command(app, "cancel acme budget cut", "U0CSM")
    case = eventually(lambda: _first_case(app))
    assert case.owner == "U0AE"
    arrived: dict[str, list[tuple[datetime, str]]] = {"U0AE": [], "U0MGR": []}
    for hour in range(0, 75):
        set_now(clock, start + timedelta(hours=hour, minutes=1))
        seen = {user: len(dm_texts(app, user)) for user in arrived}
        app.tick()
        for user in arrived:
            new = dm_texts(app, user)[seen[user] :]
            nudges = [t for t in new if t.startswith(NUDGES) and "You own" not in t]
            arrived[user] += [(clock.now(), t) for t in nudges]
    owner, manager = arrived["U0AE"], arrived["U0MGR"]
    kinds = [t.split()[0] for _, t in owner]
    assert kinds[:3] == [":bell:", ":rotating_light:", ":alarm_clock:"]
    assert [t.split()[0] for _, t in manager][:2] == [":rotating_light:", ":alarm_clock:"]
    assert all(in_hours(at, "Pacific/Auckland") for at, _ in owner), owner
    assert all(in_hours(at, "America/New_York") for at, _ in manager), manager
    # each manager DM waited for 09:00 in New York: the escalation came at night there
    assert {local(at, "America/New_York").hour for at, _ in manager} == {9}
    assert local(owner[0][0], "Pacific/Auckland").strftime("%a %H") == first_nudge


def _first_case(app: RunningApp) -> Case | None:
    with app.services.db.read() as session:
        return session.scalars(select(Case).order_by(Case.id)).first()


def _cases(app: RunningApp) -> list[Case]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


@pytest.mark.parametrize("policy", [SAVE_DESK_POLICY], indirect=True)
def test_a_save_desk_member_away_for_a_week_is_covered_and_handed_back(
    running_app: RunningApp, clock: OffsetClock
) -> None:
    app = running_app
    start = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday 10:00 New York
    set_now(clock, start)
    for n in range(6):
        seed_account(app.services, f"acct{n}", f"Account {n}", arr=80000)
    command(app, "cancel acct0 leaving", "U0CSM")
    first = eventually(lambda: _first_case(app))
    assert first.owner == "U0SAVE1"
    answer = command(app, "away 2027-01-04 2027-01-10 cover <@U0SAVE2|sam>", "U0SAVE1")
    assert "covered by <@U0SAVE2>" in answer
    app.tick()
    thread = [m["text"] for m in app.standin.messages("C0CASES")]
    assert any("Owner <@U0SAVE1> away until" in t and "covered by <@U0SAVE2>" in t for t in thread)

    for n in range(1, 5):  # four new high-value cancellations during the week
        set_now(clock, start + timedelta(days=n - 1, hours=1))
        command(app, f"cancel acct{n} leaving", "U0CSM")
        eventually(lambda n=n: len(_cases(app)) == n + 1)
        app.tick()
    owners = [c.owner for c in _cases(app)[1:]]
    assert "U0SAVE1" not in owners and set(owners) <= {"U0SAVE2", "U0SAVE3"}

    # the escalation of U0SAVE1's own case, while away, reaches the cover
    to_cover = [t for t in nudges(app, "U0SAVE2") if "case #1)" in t]
    assert to_cover and all("away until" in t for t in to_cover)
    assert not nudges(app, "U0SAVE1")

    set_now(clock, datetime(2027, 1, 11, 5, 1, tzinfo=UTC))  # Monday 00:01 New York: back
    app.tick()
    app.tick()
    back = [t for t in dm_texts(app, "U0SAVE1") if "Welcome back" in t]
    assert len(back) == 1 and "case #1" in back[0]
    command(app, "cancel acct5 leaving", "U0CSM")
    eventually(lambda: len(_cases(app)) == 6)
    assert _cases(app)[-1].owner == "U0SAVE1"  # back in the round robin, fewest open cases


@pytest.mark.parametrize("policy", [TEST_POLICY], indirect=True)
def test_a_case_for_someone_away_goes_to_their_cover_and_is_handed_back(
    running_app: RunningApp, clock: OffsetClock
) -> None:
    app = running_app
    set_now(clock, datetime(2027, 1, 4, 15, 0, tzinfo=UTC))
    seed_account(app.services, "acme", "Acme Corp")
    answer = command(app, "away 2027-01-04 2027-01-05", "U0AE")  # no cover chosen
    assert "the save desk or a manager covers" in answer
    command(app, "cancel acme leaving", "U0CSM")
    case = eventually(lambda: _first_case(app))
    assert case.owner == "U0SAVE1"
    app.tick()
    thread = [m["text"] for m in app.standin.messages("C0CASES")]
    assert any("<@U0AE> is away until" in t and "covered by <@U0SAVE1>" in t for t in thread)
    set_now(clock, datetime(2027, 1, 6, 5, 1, tzinfo=UTC))
    app.tick()
    assert eventually(lambda: _first_case(app)).owner == "U0AE"
    (back,) = [t for t in dm_texts(app, "U0AE") if "Welcome back" in t]
    assert "handed back: #1" in back


def test_hours_command_sets_and_shows_your_window(
    running_app: RunningApp, clock: OffsetClock
) -> None:
    app = running_app
    app.standin.add_user("U0AE", tz="Pacific/Auckland")
    assert "09:00-17:00 mon-fri" in command(app, "hours", "U0AE")
    answer = command(app, "hours 08:00-16:00 mon-thu", "U0AE")
    assert "08:00-16:00 mon-thu" in answer and "Pacific/Auckland" in answer
    assert "not days" in command(app, "hours 08:00-16:00 someday", "U0AE")
    assert "09:00-17:00" in command(app, "hours default", "U0AE")
    refused = command(app, "away <@U0CSM2|jo> 2027-01-04 2027-01-08", "U0AE")
    assert refused.startswith(":no_entry: Only a manager or an admin")
