"""OAuth mode at its edges: an install link used twice or too late, Slack's events for a
workspace Savedesk does not serve, and a workflow step's event delivered again."""

from __future__ import annotations

import html
import http.cookiejar
import re
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, update

from bot.setup.checkup import database_state
from demo.standin.installs import Installer
from storage.models import Case
from storage.tables.installs import slack_oauth_states
from tests.conftest import RunningApp, eventually
from tests.oauth_app import (
    CLIENT_ID,
    LocalhostIsSecure,
    install,
    sender_for,
)
from tests.setup.test_installs import oauth_app
from tests.slack_events import delivered

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


__all__ = ["oauth_app"]  # the fixture, shared with test_installs


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def back_from_slack(app: RunningApp) -> tuple[urllib.request.OpenerDirector, str]:
    """The admin's browser (with Bolt's state cookie) and the redirect URL Slack's authorize
    page sends it back to, not yet opened."""
    jar = http.cookiejar.CookieJar(policy=LocalhostIsSecure())
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with browser.open(f"{app.base_url}/slack/install", timeout=10) as page:
        link = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.read().decode())
    assert link is not None
    stay = urllib.request.build_opener(_Stay)
    with pytest.raises(urllib.error.HTTPError) as moved:
        stay.open(html.unescape(link.group(1)), timeout=10)
    return browser, moved.value.headers["Location"]


def land(browser: urllib.request.OpenerDirector, url: str) -> int:
    try:
        with browser.open(url, timeout=10) as page:
            return page.status
    except urllib.error.HTTPError as err:
        return err.code


def test_an_install_link_works_once(oauth_app: RunningApp) -> None:
    browser, back = back_from_slack(oauth_app)
    assert land(browser, back) == 200
    token = oauth_app.standin.installation(None, "T0TEST").bot_token
    assert land(browser, back) != 200  # the state was spent
    assert oauth_app.standin.installation(None, "T0TEST").bot_token == token


def test_an_install_link_past_its_ten_minutes_is_refused(oauth_app: RunningApp) -> None:
    browser, back = back_from_slack(oauth_app)
    with oauth_app.services.db.session() as session:
        session.execute(update(slack_oauth_states).values(expire_at=datetime(2000, 1, 1)))
    assert land(browser, back) != 200
    assert oauth_app.standin.installation(None, "T0TEST") is None


def cases(app: RunningApp) -> list[Case]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Case)))


def test_a_removal_from_a_workspace_not_served_changes_nothing(oauth_app: RunningApp) -> None:
    """Slack says the app left another workspace (an old install elsewhere): Savedesk's own
    installation goes on working, and `check` does not call it removed."""
    install(oauth_app)
    stranger = sender_for(oauth_app, "T0ELSE", None, org_wide=False)
    assert delivered(stranger, {"type": "app_uninstalled", "event_ts": "1.0"}).status == 200
    revoked = {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}, "event_ts": "1.0"}
    assert delivered(stranger, revoked).status == 200
    state = database_state(oauth_app.services.db, None, CLIENT_ID)
    assert state.problems == [] and any("workspace T0TEST" in n for n in state.notes)
    assert oauth_app.services.api.auth_test()["ok"]


def test_a_step_delivered_again_opens_one_case_and_ends_once(oauth_app: RunningApp) -> None:
    install(oauth_app)
    oauth_app.standin.declare_steps(yaml.safe_load(MANIFEST.read_text(encoding="utf-8")))
    inputs = {"account": "acme", "kind": "downgrade", "stated_reason": "fewer seats"}
    event = oauth_app.standin.run_step("open_churn_case_step", inputs)
    assert oauth_app.slack.event(event, event_id="Ev1").status == 200
    assert oauth_app.slack.event(event, event_id="Ev1", retry_num=1).status == 200
    execution = str(event["function_execution_id"])
    eventually(
        lambda: oauth_app.standin.execution(execution).state != "running" or oauth_app.tick()
    )
    oauth_app.tick()
    assert oauth_app.standin.execution(execution).state == "completed"
    assert len(cases(oauth_app)) == 1
    ends = oauth_app.standin.calls("functions.completeSuccess")
    assert len(ends) == 1 and not [c for c in oauth_app.standin.calls() if c.fault]


def status_of(app: RunningApp, installer: Installer) -> int:
    try:
        return install(app, installer).status
    except urllib.error.HTTPError as err:
        return err.code


def test_an_install_in_another_company_is_refused(oauth_app: RunningApp) -> None:
    """One deployment serves one company (docs/tenancy.md): while it holds a workspace's
    install, an install from another workspace or organisation is refused and changes
    nothing (it would hand that company's people the cases)."""
    install(oauth_app)
    ours = oauth_app.standin.installation(None, "T0TEST").bot_token
    for other in (
        Installer(team_id="T0OTHER", team_name="Other Inc"),
        Installer(team_id=None, enterprise_id="E0OTHER", org_wide=True),
    ):
        assert status_of(oauth_app, other) == 409
    oauth_app.standin.clear()
    assert oauth_app.services.api.auth_test()["team_id"] == "T0TEST"
    assert {c.token for c in oauth_app.standin.calls("auth.test")} == {ours}
    state = database_state(oauth_app.services.db, None, CLIENT_ID)
    assert any("workspace T0TEST" in n for n in state.notes), state.notes

    oauth_app.standin.uninstall(team_id="T0TEST")  # removed: it may move elsewhere
    assert delivered(oauth_app.slack, {"type": "app_uninstalled", "event_ts": "1.0"}).status == 200
    assert status_of(oauth_app, Installer(team_id="T0OTHER")) == 200


def test_an_org_wide_install_may_follow_a_workspace_install_of_its_org(
    oauth_app: RunningApp,
) -> None:
    assert status_of(oauth_app, Installer(team_id="T0CS", enterprise_id="E0ORG")) == 200
    org_wide = Installer(team_id=None, enterprise_id="E0ORG", org_wide=True)
    assert status_of(oauth_app, org_wide) == 200
    assert oauth_app.services.api.auth_test()["is_enterprise_install"] is True


def test_a_workspace_install_does_not_narrow_an_org_wide_one(oauth_app: RunningApp) -> None:
    org_wide = Installer(team_id=None, enterprise_id="E0ORG", org_wide=True)
    assert status_of(oauth_app, org_wide) == 200
    assert status_of(oauth_app, Installer(team_id="T0FIN", enterprise_id="E0ORG")) == 409
    assert oauth_app.services.api.auth_test()["is_enterprise_install"] is True
    assert status_of(oauth_app, org_wide) == 200  # installing org-wide again is fine
