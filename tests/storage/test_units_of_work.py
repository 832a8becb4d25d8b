"""A click never waits on a lock: no unit of work begins inside another, even when the team
must be looked up again in Slack (and remembered) first; and a click that fails anyway is
answered to the person who clicked, never in the channel."""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from slack_bolt import App

from bot.people import team as team_module
from bot.people.team import TEAM_TTL_SECONDS
from bot.policy import Policy, parse_policy
from storage.db import NestedUnitOfWork
from storage.models import PlanStep
from tests.conftest import TEST_POLICY, RunningApp, patient, seed_account
from tests.turnover.test_turnover_http import (
    CHAMPION_GONE,
    checklist,
    eventually,
    open_modal,
    rows,
    settle,
    steps_in,
    submit,
    tick,
)

MANAGER_EMAIL = "maria@example.com"


@pytest.fixture
def policy() -> Policy:
    """The test policy with the managers named by email: resolving them asks Slack and
    remembers the answer in the database (a write)."""
    toml = TEST_POLICY.replace('managers = ["U0MGR"]', f'managers = ["{MANAGER_EMAIL}"]')
    return parse_policy(toml, "test-policy.toml")


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    running_app.standin.add_user("U0MGR", email=MANAGER_EMAIL)
    seed_account(running_app.services, "NW-1", "Northwind", segment="enterprise")
    return running_app


def make_team_stale(app: RunningApp, monkeypatch: pytest.MonkeyPatch) -> int:
    """The cached team and the people directory's answers both expired: the next look-up
    asks Slack and writes. Returns how many times Slack was asked so far."""
    later = time.monotonic() + TEAM_TTL_SECONDS + 1
    monkeypatch.setattr(team_module, "monotonic_time", SimpleNamespace(monotonic=lambda: later))
    app.services.clock.advance(timedelta(hours=1))
    return len(app.standin.calls("users.lookupByEmail"))


def test_ticking_a_step_while_the_team_is_looked_up_again_waits_on_no_lock(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: the tick's unit of work held the write lock while resolving the team opened a
    second one (30 s, then "database is locked")."""
    submit(app, open_modal(app), **CHAMPION_GONE)
    settle(app, 1)
    first, second = (step_id for step_id, _, _ in steps_in(checklist(app, "Dana Smith"))[:2])
    asked = make_team_stale(app, monkeypatch)
    tick(app, first, user="U0MGR")  # a manager: deciding needs the (stale) team
    done = lambda: {s.id for s in rows(app, PlanStep) if s.done}  # noqa: E731
    # a click waiting on its own lock fails ("database is locked" after SQLite's 30 s
    # busy_timeout) or waits for ever (PostgreSQL): the step is never done, whatever the clock
    eventually(lambda: first in done())
    assert len(app.standin.calls("users.lookupByEmail")) > asked, "the team was looked up"
    assert not any("Sorry" in str(r) for r in app.standin.responses())

    asked = make_team_stale(app, monkeypatch)
    press = app.slack.block_action(
        "turnover_assign", str(rows(app, PlanStep)[0].turnover_id), user_id="U0MGR",
        channel_id="C0CASES", message_ts="1",
    )  # fmt: skip
    app.slack.interactive(press)
    view = app.standin.wait_for_calls("views.open", 2, timeout=30)[-1].args["view"]
    chosen = {
        "step": {"step": {"type": "static_select", "selected_option": {"value": str(second)}}},
        "assignee": {"assignee": {"type": "users_select", "selected_user": "U0HELPER"}},
    }
    payload = app.slack.view_submission(
        view["callback_id"], chosen, user_id="U0MGR", private_metadata=view["private_metadata"]
    )
    assert app.slack.interactive(payload).status == 200
    eventually(lambda: any(s.assignee == "U0HELPER" for s in rows(app, PlanStep)))


def test_the_team_is_never_resolved_inside_a_unit_of_work(app: RunningApp) -> None:
    """Deterministic, whatever the cache's age: asking for a fresh team inside a unit of work
    is refused at once; so is a stale-ok one while no team is known yet. The last known team
    (what step handlers use) is fine."""
    services = app.services
    for unit in (services.db.session, services.db.read):
        with unit(), pytest.raises(NestedUnitOfWork):
            services.team.current(stale_ok=True)  # nothing known yet: it would resolve here
    known = services.team.current()
    assert known.members("managers") == ("U0MGR",)
    for unit in (services.db.session, services.db.read):
        with unit():
            assert services.team.current(stale_ok=True) is known
            with pytest.raises(NestedUnitOfWork):
                services.team.current()


def failing(app: RunningApp, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.services.turnover, "tick", broken)


def test_a_click_that_fails_is_answered_to_the_clicker_only(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit(app, open_modal(app), **CHAMPION_GONE)
    settle(app, 1)
    step_id = steps_in(checklist(app, "Dana Smith"))[0][0]
    in_channel = len(app.standin.messages("C0CASES"))
    answered = len(app.standin.responses())
    failing(app, monkeypatch)
    tick(app, step_id, user="U0CSM")
    apology = app.standin.wait_for_responses(answered + 1, timeout=30)[-1]
    assert apology["response_type"] == "ephemeral" and "Sorry" in apology["text"]
    assert "disk on fire" not in apology["text"]
    app.tick()
    assert len(app.standin.messages("C0CASES")) == in_channel


def test_a_failed_press_in_app_home_is_told_in_a_direct_message(running_app: RunningApp) -> None:
    """App Home and modals have no response_url and no channel: the apology goes to the
    person's conversation with the app, never anywhere others read."""
    bolt: App = running_app.web_bolt

    @bolt.action("home_boom")
    def boom(ack, body):  # type: ignore[no-untyped-def]
        ack()
        raise RuntimeError("disk on fire")

    patient(bolt)  # the listener added here too waits for a busy machine, as the app's do

    view = {"id": "VHOME", "type": "home"}
    press = running_app.slack.block_action("home_boom", "1", user_id="U0CSM", view=view)
    assert running_app.slack.interactive(press).status == 200
    [call] = running_app.standin.wait_for_calls("chat.postMessage", 1, timeout=30)
    assert call.args["channel"] == "U0CSM" and "Sorry" in call.args["text"]
