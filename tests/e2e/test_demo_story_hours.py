"""The guided story works as its hints say whatever the hour the demo starts: the sample
book is dated in the day Savedesk counts in (the policy's time zone, not the machine's),
and the nudge's hint moves the clock into the owner's working hours (docs/demo.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import app
from bot.common.clock import FakeClock, OffsetClock
from demo.runtime import Demo
from demo.story import load_steps
from tests.conftest import eventually

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
