"""`python app.py check`, `/healthz` and admins' App Home name what Slack refuses: the whole
workspace (delivery paused) and each channel whose messages wait (docs/slack.md, *When
Slack says no*)."""

from __future__ import annotations

from datetime import timedelta

from bot import outbox
from bot.common.clock import FakeClock
from bot.runtime.services import Services
from bot.setup.checkup import database_state
from demo.standin import SlackStandin
from tests.cases.test_home import home_of, text_of
from tests.conftest import RunningApp
from tests.runtime.test_health import beat, healthz


def queue(services: Services, clock: FakeClock) -> None:
    with services.db.session() as session:
        root = outbox.post(session, clock.now(), "C0CASES", "root")
        outbox.reply(session, clock.now(), root, "line")


def test_check_names_an_archived_channel_and_what_waits_there(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    queue(services, clock)
    standin.archive_channel("C0CASES")
    services.deliver()
    problems = database_state(services.db, services.policy).problems
    assert [p for p in problems if p.startswith("channel C0CASES")] == [
        "channel C0CASES: Slack answers is_archived since "
        f"{clock.now():%Y-%m-%d %H:%M} UTC; 2 message(s) wait "
        "(unarchive it or /invite the app to it)"
    ]
    standin.archive_channel("C0CASES", archived=False)
    services.deliverer.retry_channel("C0CASES")
    services.deliver()
    assert database_state(services.db, services.policy).problems == []


def test_check_says_delivery_is_paused_for_the_workspace(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    queue(services, clock)
    standin.refuse_token("token_revoked")
    services.deliver()
    (problem,) = database_state(services.db, services.policy).problems
    assert problem.startswith("Slack delivery paused since") and "token_revoked" in problem
    assert problem.endswith("check SLACK_BOT_TOKEN and Slack's status")


def test_admins_see_on_app_home_what_keeps_messages_from_slack(running_app: RunningApp) -> None:
    app = running_app
    queue(app.services, app.services.clock)  # type: ignore[arg-type]
    app.standin.archive_channel("C0CASES")
    app.services.deliver()
    admin = text_of(home_of(app, "U0ADMIN"))
    assert "Messages are not reaching Slack" in admin and "channel C0CASES" in admin
    assert "Messages are not reaching Slack" not in text_of(home_of(app, "U0CSM"))


def test_healthz_names_the_workspace_pause_and_stays_up(running_app: RunningApp) -> None:
    """A restart would not help while Slack refuses the token: /healthz keeps answering 200
    and says why messages wait, with no stalled delivery reported long after."""
    app = running_app
    queue(app.services, app.services.clock)
    beat(app.services)
    app.standin.refuse_token("token_revoked")
    app.services.deliver()
    app.services.clock.advance(timedelta(minutes=30))
    beat(app.services)
    status, body = healthz(app)
    assert status == 200 and "token_revoked" in body["slack"], body
    assert not any("delivery stalled" in reason for reason in body["reasons"])
    app.standin.refuse_token(None)
    app.services.clock.advance(timedelta(minutes=2))
    app.services.deliver()
    assert healthz(app)[1]["slack"] == "ok"
