"""The save desk's round robin skips members outside their working hours for longer than
`acknowledge_within` (docs/hours.md, *Time off and cover*), end to end through the real
Bolt app and the Slack stand-in on an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.common.clock import FakeClock
from bot.policy import Policy, parse_policy
from tests.conftest import RunningApp, eventually, seed_account
from tests.people.test_people_away import HOURS_POLICY, cases, command
from tests.people.zones import lives_in

POLICY = (
    HOURS_POLICY
    + """
[escalation]
acknowledge_within = "4h"

[[routing]]
kinds = ["cancellation"]
min_arr = 50000
owner = "save_desk"
"""
)


@pytest.fixture
def policy() -> Policy:
    return parse_policy(POLICY, "test-policy.toml")


@pytest.mark.parametrize(
    ("now", "owners"),
    [
        # Tuesday 04:00 in Auckland: U0SAVE1 opens in 5 h, more than acknowledge_within
        pytest.param(datetime(2027, 1, 4, 15, 0, tzinfo=UTC), ["U0SAVE2", "U0SAVE3"], id="5h"),
        # Tuesday 06:00 in Auckland: opens in 3 h, within acknowledge_within: in the pool
        pytest.param(
            datetime(2027, 1, 4, 17, 0, tzinfo=UTC), ["U0SAVE1", "U0SAVE2", "U0SAVE3"], id="3h"
        ),
        # Sunday 03:00 in New York, Sunday 21:00 in Auckland: everyone is out for long;
        # the case still goes to someone, the least loaded
        pytest.param(datetime(2027, 1, 3, 8, 0, tzinfo=UTC), ["U0SAVE1", "U0SAVE2"], id="all"),
    ],
)
def test_the_round_robin_skips_members_long_out_of_hours(
    running_app: RunningApp, clock: FakeClock, now: datetime, owners: list[str]
) -> None:
    app = running_app
    lives_in(app, "U0SAVE1")
    clock.set(now)
    for n in range(len(owners)):
        seed_account(app.services, f"acct{n}", f"Account {n}", arr=80000)
        command(app, f"cancel acct{n} leaving", "U0CSM")
        eventually(lambda n=n: len(cases(app)) == n + 1)
    assert [c.owner for c in cases(app)] == owners
