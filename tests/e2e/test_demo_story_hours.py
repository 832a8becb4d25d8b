"""The guided story works as its hints say whatever the hour the demo starts: the sample
book is dated in the day Savedesk counts in (the policy's time zone, not the machine's),
and the nudge's hint moves the clock into the owner's working hours (docs/demo.md)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import app
from bot.common.clock import FakeClock, OffsetClock
from demo.runtime import Demo
from demo.story import load_steps
from tests.conftest import eventually
from tests.demo_fixtures import page_call, page_state

LATE_EVENING = datetime(2026, 12, 7, 4, 44, tzinfo=UTC)  # 23:44 on the 6th in New York


@pytest.fixture
def late_demo(db_url: str, tmp_path: Path) -> Iterator[Demo]:
    folder = tmp_path / "demo"
    folder.mkdir()
    clock = OffsetClock(FakeClock(LATE_EVENING), file=folder / "clock")
    demo = Demo(port=0, database_url=db_url, folder=folder, clock=clock)
    try:
        demo.page_url = demo.start(app.cmd_import)
        yield demo
    finally:
        demo.stop()


def test_the_dunning_hint_holds_late_in_the_evening_in_new_york(late_demo: Demo) -> None:
    """The hint says INV-1005 is 89 days past due, so one +1 day reaches the 90-day step;
    dated by the machine's (UTC) day it was 88 and needed two."""
    (hint,) = [s.hint for s in load_steps() if s.id == "dunning"]
    assert "89 days past due" in hint

    def soylent() -> list[str]:
        posted = late_demo.standin.messages("C0FINANCE")
        return [m["text"] for m in posted if "INV-1005" in m["text"]]

    (line,) = eventually(soylent, timeout=15)
    assert "89 days past due" in line


def test_the_nudge_hint_moves_the_clock_into_working_hours() -> None:
    """+1 day alone from an evening start lands outside working hours, where no reminder
    is sent; the hint names the control that reaches them, as the browser test plays it."""
    (hint,) = [s.hint for s in load_steps() if s.id == "nudge"]
    assert "Next business morning" in hint


def test_the_acknowledge_hint_says_where_the_button_is() -> None:
    """Before the first reply a case has no thread to open: the button is on the case's
    message in #cases (the owner's DM links to the thread)."""
    (hint,) = [s.hint for s in load_steps() if s.id == "acknowledge"]
    assert "in #cases" in hint and "in the thread." not in hint


def ticked(demo: Demo) -> set[str]:
    return {s["id"] for s in page_state(demo, "U0CSM")["story"] if s["done"]}


def test_each_clock_hint_names_only_what_its_step_needs() -> None:
    """Next business morning alone reaches the nudge (the reminder waits for working
    hours, not for a day), and it may already have crossed midnight, taking Soylent's
    invoice to its 90-day step: the dunning hint must not order +1 day for what happened."""
    steps = {s.id: s for s in load_steps()}
    nudge, dunning = steps["nudge"], steps["dunning"]
    assert "+1 day" not in nudge.hint + nudge.title
    assert "Next business morning" in nudge.hint
    assert not dunning.hint.startswith("Press"), "+1 day only if it has not happened yet"
    assert "otherwise press +1 day" in dunning.hint


@pytest.mark.parametrize(
    ("start", "mornings", "crossed_midnight"),
    [
        (datetime(2026, 12, 7, 16, 9, tzinfo=UTC), 1, True),  # Monday 11:09 in New York
        (datetime(2026, 12, 8, 8, 0, tzinfo=UTC), 1, False),  # Tuesday 03:00: 9:00 that day
        (datetime(2026, 12, 8, 12, 0, tzinfo=UTC), 2, True),  # 07:00: 9:00 is 2 hours away
    ],
)
def test_steps_6_and_7_played_as_their_hints_say(
    db_url: str, tmp_path: Path, start: datetime, mornings: int, crossed_midnight: bool
) -> None:
    """The nudge's hint (flag a risk, press Next business morning, once more if no
    reminder came), then the dunning's (+1 day only if Savedesk's day has not changed):
    each step ticks when what it describes happened, whatever the hour the demo starts."""
    folder = tmp_path / "demo"
    folder.mkdir()
    demo = Demo(port=0, database_url=db_url, folder=folder, clock=OffsetClock(FakeClock(start)))
    try:
        demo.page_url = demo.start(app.cmd_import)
        page_call(demo, "command", "U0CSM", channel="C0CASES", text=GLOBEX)
        eventually(lambda: any("Globex" in m["text"] for m in demo.standin.messages("C0CASES")))
        pressed = 0
        while "nudge" not in ticked(demo) and pressed < 2:
            assert page_call(demo, "clock", "U0CSM", step="morning")[0] == 200
            pressed += 1
            assert demo.settled(timeout=30)
            wait_for(lambda: "nudge" in ticked(demo), seconds=10)
        assert ("nudge" in ticked(demo), pressed) == (True, mornings)
        wait_for(lambda: "dunning" in ticked(demo), seconds=10 if crossed_midnight else 2)
        assert ("dunning" in ticked(demo)) is crossed_midnight
        if not crossed_midnight:  # the dunning hint: otherwise press +1 day
            assert page_call(demo, "clock", "U0CSM", step="day")[0] == 200
            eventually(lambda: "dunning" in ticked(demo), timeout=15)
    finally:
        demo.stop()


GLOBEX = "/churn risk globex usage_drop logins halved"


def wait_for(check: Callable[[], bool], seconds: float) -> None:
    """Polls `check` until it holds or `seconds` pass (then returns: the caller asserts)."""
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.05)
