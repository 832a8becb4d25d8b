"""A case handed back when its owner returns from time off (docs/hours.md) is an owner
change: one `case.owner_changed` reaches the receiver, on the test clock through the real
Bolt app and the Slack stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.common.clock import OffsetClock, write_offset
from bot.policy import Policy, parse_policy
from tests.conftest import TEST_POLICY, RunningApp, eventually, seed_account
from tests.outbound.test_outbound_owner import delivered
from tests.people.test_people_hours import _first_case, command, set_now
from tests.webhook_receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def clock(tmp_path: Path) -> Iterator[OffsetClock]:
    write_offset(tmp_path / "clock", timedelta(0))
    yield OffsetClock(file=tmp_path / "clock")


@pytest.fixture
def policy(receiver: Receiver) -> Policy:
    return parse_policy(TEST_POLICY + receiver.policy(), "webhooks.toml")


def test_handing_a_case_back_after_time_off_publishes_one_owner_change(
    running_app: RunningApp, clock: OffsetClock, receiver: Receiver
) -> None:
    app = running_app
    set_now(clock, datetime(2027, 1, 4, 15, 0, tzinfo=UTC))
    seed_account(app.services, "acme", "Acme Corp")
    command(app, "away 2027-01-04 2027-01-05", "U0AE")
    command(app, "cancel acme leaving", "U0CSM")
    assert eventually(lambda: _first_case(app)).owner == "U0SAVE1"  # the cover
    [opened] = delivered(app, receiver, 1)
    assert opened["data"]["case"]["owner"] == "U0SAVE1"
    set_now(clock, datetime(2027, 1, 6, 5, 1, tzinfo=UTC))  # back
    events = delivered(app, receiver, 2)
    assert [e["type"] for e in events] == ["case.opened", "case.owner_changed"]
    back = events[1]["data"]
    assert (back["previous_owner"], back["owner"], back["by"]) == ("U0SAVE1", "U0AE", None)
