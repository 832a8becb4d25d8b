"""Token rotation on: every Slack call, in Bolt's listeners and in the worker's delivery,
uses a current token, refreshed before it expires, once however many processes notice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.policy import Policy
from bot.setup.checkup import database_state
from demo.standin import SlackStandin
from slack_edge.installs import TokenSource
from storage.models import Case, OutboxMessage
from tests.conftest import RunningApp, eventually, seed_account
from tests.oauth_app import CLIENT_ID, install, oauth_services, oauth_settings, serve_oauth
from tests.slack_events import delivered

LIFETIME = 12 * 3600  # Slack's rotating tokens last 12 hours


@pytest.fixture
def rotating_app(
    db_url: str, standin: SlackStandin, tmp_path: Path, policy: Policy, clock: FakeClock
) -> Iterator[RunningApp]:
    standin.token_clock = lambda: clock.now().timestamp()
    standin.rotation, standin.token_lifetime = True, LIFETIME
    services = oauth_services(oauth_settings(db_url, standin, tmp_path), policy, clock)
    services.db.migrate()
    seed_account(services, "acme", "Acme Corp")
    with serve_oauth(services, standin) as app:
        install(app)
        yield app
    services.deliverer.close()
    services.db.dispose()


def refreshes(app: RunningApp) -> int:
    calls = app.standin.calls("oauth.v2.access")
    return sum(1 for c in calls if c.args.get("grant_type") == "refresh_token")


def webhook_case(app: RunningApp, external_id: str) -> None:
    """Work arriving while the worker runs (a CRM signal): a case and its thread to post."""
    account = seed_account(app.services, external_id, external_id.title())
    app.services.signals.open(account, Signal(kind="non_renewal", source="crm", summary="no"))


def failed_rows(app: RunningApp) -> list[str]:
    with app.services.db.read() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.state == "failed"))
        return [f"{r.method}: {r.last_error}" for r in rows]


def test_the_worker_keeps_delivering_across_token_expiries(rotating_app: RunningApp) -> None:
    app, first = rotating_app, rotating_app.standin.installation(None, "T0TEST").bot_token
    assert first.startswith("xoxe.xoxb-")
    webhook_case(app, "initech")
    app.tick()
    assert {c.token for c in app.standin.calls("chat.postMessage")} == {first}

    app.services.clock.advance(timedelta(seconds=LIFETIME - 600))  # 10 minutes left
    app.standin.clear()
    webhook_case(app, "hooli")
    app.tick()
    second = app.standin.installation(None, "T0TEST").bot_token
    assert second != first and refreshes(app) == 1  # refreshed ahead of expiry, once
    assert {c.token for c in app.standin.calls("chat.postMessage")} == {second}

    app.services.clock.advance(timedelta(seconds=LIFETIME + 3600))  # the worker slept past it
    app.standin.clear()
    webhook_case(app, "umbrella")
    app.tick()
    third = app.standin.installation(None, "T0TEST").bot_token
    assert refreshes(app) == 1 and {c.token for c in app.standin.calls("chat.postMessage")} == {
        third
    }
    assert not any(c.fault for c in app.standin.calls()) and failed_rows(app) == []

    app.standin.clear()  # Bolt's listeners take the same current token
    assert app.slack.slash_command("cancel acme budget").status == 200
    eventually(lambda: app.standin.calls("chat.postMessage") or _opened(app, 4))
    app.tick()
    assert {c.token for c in app.standin.calls("chat.postMessage")} == {third}


def _opened(app: RunningApp, count: int) -> bool:
    with app.services.db.read() as session:
        return len(list(session.scalars(select(Case)))) >= count


def test_a_token_slack_expires_early_is_refreshed_and_the_call_retried(
    rotating_app: RunningApp,
) -> None:
    """Slack's clock ahead of ours: Slack answers token_expired while we think an hour is
    left. The call is refreshed and sent again; no row waits or fails."""
    app = rotating_app
    first = app.standin.installation(None, "T0TEST").bot_token
    app.standin.token_clock = lambda: app.services.clock.now().timestamp() + 7200
    app.services.clock.advance(timedelta(seconds=LIFETIME - 3600 - 60))
    app.standin.clear()
    webhook_case(app, "initech")
    report = app.services.deliver()
    assert report.stopped is None and report.failed == 0
    new = app.standin.installation(None, "T0TEST").bot_token
    assert first in {c.token for c in app.standin.calls()}  # refused as token_expired
    assert {c.token for c in app.standin.calls("chat.postMessage")} == {new}
    assert refreshes(app) == 1 and failed_rows(app) == []
    assert any("Initech" in m["text"] for m in app.standin.messages("C0CASES"))


def test_processes_refreshing_at_once_spend_the_refresh_token_once(
    rotating_app: RunningApp, policy: Policy
) -> None:
    """Two processes (each its own database engine) find the token due at the same moment:
    one asks Slack, the other waits on the row lock and takes what it stored."""
    app = rotating_app
    app.services.clock.advance(timedelta(seconds=LIFETIME - 60))
    others = [oauth_services(app.services.settings, policy, app.services.clock) for _ in range(2)]
    barrier = threading.Barrier(2)

    class Racing(TokenSource):
        def _refresh(self, seen, expired):  # type: ignore[no-untyped-def]
            barrier.wait(timeout=30)  # both have seen the due token before either refreshes
            return super()._refresh(seen, expired)

    sources = []
    for other in others:
        sources.append(Racing(other.settings, other.db, other.clock))
    got: list[str] = []
    threads = [threading.Thread(target=lambda s=s: got.append(s.token())) for s in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for other in others:
        other.db.dispose()
    assert refreshes(app) == 1
    assert len(got) == 2 and got[0] == got[1] == app.standin.installation(None, "T0TEST").bot_token


def test_a_refresh_slack_refuses_pauses_delivery_without_failing_rows(
    rotating_app: RunningApp,
) -> None:
    """The refresh token no longer works (revoked at Slack, the event missed): messages
    wait, none fails, and `check` says the token cannot be refreshed."""
    app = rotating_app
    app.standin._by_refresh.clear()  # Slack no longer knows the refresh token
    app.services.clock.advance(timedelta(seconds=LIFETIME + 60))
    app.standin.clear()
    webhook_case(app, "initech")
    report = app.services.deliver()
    assert report.stopped == "invalid_refresh_token" and report.failed == 0
    assert app.standin.calls("chat.postMessage") == [] and failed_rows(app) == []
    state = database_state(app.services.db, None, CLIENT_ID)
    assert any(
        "invalid_refresh_token" in p and "install the app again at /slack/install" in p
        for p in state.problems
    ), state.problems
    assert not any("SLACK_BOT_TOKEN" in p for p in state.problems)
    assert any("expired" in n and "next Slack call" in n for n in state.notes), state.notes


def test_a_listener_whose_token_slack_expires_early_refreshes_it(
    rotating_app: RunningApp,
) -> None:
    """Slack's clock ahead of ours in a Bolt listener (App Home's views.publish): the
    token Slack calls expired is refreshed and the call sent again, as in the worker."""
    app = rotating_app
    app.standin.token_clock = lambda: app.services.clock.now().timestamp() + 7200
    app.services.clock.advance(timedelta(seconds=LIFETIME - 3600 - 60))
    event = {"type": "app_home_opened", "user": "U0MGR", "channel": "D0X", "tab": "home"}
    assert delivered(app.slack, event).status == 200
    eventually(lambda: app.standin.home_view("U0MGR"))
    assert refreshes(app) == 1
