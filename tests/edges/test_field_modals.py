"""Nothing slow between a click and `views.open` (trigger ids expire after 3 s): every
modal a button opens is decided with the last known team, or opens a loading view first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.cases.models import Signal
from bot.people import team as team_module
from bot.policy import Policy, parse_policy
from slack_edge.case_messages import CaseAction
from tests.conftest import TEST_POLICY, RunningApp, eventually, seed_account

POLICY = TEST_POLICY.replace('managers = ["U0MGR"]', 'managers = ["@cs-leads"]')


@pytest.fixture
def policy() -> Policy:
    return parse_policy(POLICY, "test-policy.toml")


@pytest.fixture
def app(running_app: RunningApp) -> Iterator[RunningApp]:
    running_app.standin.add_usergroup("S0LEADS", "cs-leads", ["U0MGR"])
    account = seed_account(running_app.services, "acme", "Acme Corp")
    running_app.services.cases.open(account, Signal(kind="cancellation", source="test"))
    running_app.tick()
    yield running_app


def press(app: RunningApp, action: str, value: str, user: str) -> list[str]:
    """The Slack methods the click called before its `views.open`: a slow one among them
    (`usergroups.list`, answering 429 "retry in 4 s") would have let the trigger id expire.
    Watched by order, not by the clock, which a loaded machine slows as well."""
    payload = app.slack.block_action(
        action, value, user_id=user, channel_id="C0CASES", message_ts="1.0"
    )
    earlier = len(app.standin.calls())
    before = len(app.standin.calls("views.open"))
    assert app.slack.interactive(payload).status == 200
    eventually(lambda: len(app.standin.calls("views.open")) > before)
    methods = [c.method for c in app.standin.calls()[earlier:]]
    return methods[: methods.index("views.open")]


def test_reassign_opens_at_once_while_usergroups_answer_429(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(team_module, "TEAM_TTL_SECONDS", 0)  # the team cache has expired
    app.services.clock.advance(timedelta(hours=1))  # and so have the people look-ups
    app.standin.fail_next("usergroups.list", status=429, retry_after=4, times=2)
    assert "usergroups.list" not in press(app, CaseAction.REASSIGN.value, "1", "U0MGR")
    view = app.standin.calls("views.open")[-1].args["view"]
    assert view["callback_id"] == "case_reassign_view"


@pytest.mark.parametrize(
    ("action", "value", "callback"),
    [
        (CaseAction.OFFER.value, "1", "case_offer_view"),
        (CaseAction.REMOVE_CSM.value, "1", "case_remove_csm_view"),
    ],
)
def test_every_case_modal_decides_with_the_last_known_team(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch, action: str, value: str, callback: str
) -> None:
    monkeypatch.setattr(team_module, "TEAM_TTL_SECONDS", 0)
    app.services.clock.advance(timedelta(hours=1))
    app.standin.fail_next("usergroups.list", status=429, retry_after=4, times=2)
    assert "usergroups.list" not in press(app, action, value, "U0MGR")
    assert app.standin.calls("views.open")[-1].args["view"]["callback_id"] == callback


def test_nothing_known_yet_opens_a_loading_view_then_updates_it(app: RunningApp) -> None:
    app.services.team._team = None  # just started: nobody resolved yet
    app.services.clock.advance(timedelta(hours=1))
    app.standin.fail_next("usergroups.list", status=429, retry_after=1)
    assert "usergroups.list" not in press(app, CaseAction.REASSIGN.value, "1", "U0MGR")
    loading = app.standin.calls("views.open")[-1].args["view"]
    assert "One moment" in str(loading["blocks"])
    update = app.standin.wait_for_calls("views.update", timeout=30)[-1].args
    assert update["view"]["callback_id"] == "case_reassign_view"


def test_refusal_after_loading_replaces_the_loading_view(app: RunningApp) -> None:
    app.services.team._team = None
    press(app, CaseAction.REASSIGN.value, "1", "U0STRANGER")
    update = app.standin.wait_for_calls("views.update", timeout=30)[-1].args
    assert "Only the case's owner" in str(update["view"]["blocks"])
