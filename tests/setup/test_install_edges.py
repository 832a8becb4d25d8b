"""OAuth mode at its edges: an install link used twice or too late, Slack's events for a
workspace Savedesk does not serve, and a workflow step's event delivered again."""

from __future__ import annotations

import html
import http.cookiejar
import logging
import re
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
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


STRAYS = (
    Installer(team_id="T0OTHER", team_name="Other Inc"),
    Installer(team_id=None, enterprise_id="E0OTHER", org_wide=True),
)


def stray_tokens(app: RunningApp) -> list[str]:
    """The bot tokens Slack issued for the STRAYS' installs."""
    found = [app.standin.installation(i.enterprise_id, i.team_id) for i in STRAYS]
    return [inst.bot_token for inst in found if inst is not None]


def answer_to(app: RunningApp, token: str) -> str:
    """What Slack's auth.test answers for `token` (ok, or the error)."""
    try:
        return "ok" if WebClient(token=token, base_url=app.standin.api_url).auth_test() else ""
    except SlackApiError as err:
        return str(err.response["error"])


def test_an_install_in_another_company_is_refused(
    oauth_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """One deployment serves one company (docs/tenancy.md): while it holds a workspace's
    install, an install from another workspace or organisation is refused and changes
    nothing (it would hand that company's people the cases); the token Slack issued for
    it is revoked, and never logged."""
    caplog.set_level(logging.INFO)
    install(oauth_app)
    ours = oauth_app.standin.installation(None, "T0TEST").bot_token
    for other in STRAYS:
        assert status_of(oauth_app, other) == 409
    strays = stray_tokens(oauth_app)
    assert len(strays) == 2 and [answer_to(oauth_app, t) for t in strays] == ["token_revoked"] * 2
    assert not [r for r in caplog.records for t in strays if t in r.getMessage()]
    oauth_app.standin.clear()
    assert oauth_app.services.api.auth_test()["team_id"] == "T0TEST"
    assert {c.token for c in oauth_app.standin.calls("auth.test")} == {ours}
    state = database_state(oauth_app.services.db, None, CLIENT_ID)
    assert any("workspace T0TEST" in n for n in state.notes), state.notes

    oauth_app.standin.uninstall(team_id="T0TEST")  # removed: it may move elsewhere
    assert delivered(oauth_app.slack, {"type": "app_uninstalled", "event_ts": "1.0"}).status == 200
    assert status_of(oauth_app, Installer(team_id="T0OTHER")) == 200


def test_a_refused_install_whose_token_cannot_be_revoked_is_refused_still(
    oauth_app: RunningApp, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack down (503) or not reached when Savedesk revokes a refused install's token: the
    refusal page shows all the same, and the log says the token could not be revoked
    (without the token)."""
    caplog.set_level(logging.INFO)
    install(oauth_app)
    oauth_app.standin.fail_next("auth.revoke", status=503)
    assert status_of(oauth_app, STRAYS[0]) == 409

    def unreachable(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    monkeypatch.setattr(WebClient, "auth_revoke", unreachable)
    assert status_of(oauth_app, STRAYS[1]) == 409
    strays = stray_tokens(oauth_app)
    assert [answer_to(oauth_app, t) for t in strays] == ["ok", "ok"]  # not revoked
    said = [r.getMessage() for r in caplog.records if "could not be revoked" in r.getMessage()]
    assert len(said) == 2, said
    assert "T0OTHER" in said[0] and "service_unavailable" in said[0]
    assert "E0OTHER" in said[1] and "Connection refused" in said[1]
    assert not [m for m in (r.getMessage() for r in caplog.records) for t in strays if t in m]


def test_our_workspace_refused_from_inside_an_organisation_keeps_its_bot(
    oauth_app: RunningApp,
) -> None:
    """The workspace Savedesk serves joined an Enterprise Grid organisation since it was
    installed: installing there again comes back with the organisation's id and is refused
    as another company's, but its token is not revoked: revoking a bot token deactivates
    the bot user in that workspace, and that bot is Savedesk's own."""
    install(oauth_app)
    joined = Installer(team_id="T0TEST", enterprise_id="E0JOINED")
    assert status_of(oauth_app, joined) == 409
    assert oauth_app.standin.calls("auth.revoke") == []
    assert oauth_app.services.api.auth_test()["team_id"] == "T0TEST"


def test_an_org_wide_install_may_follow_a_workspace_install_of_its_org(
    oauth_app: RunningApp,
) -> None:
    assert status_of(oauth_app, Installer(team_id="T0CS", enterprise_id="E0ORG")) == 200
    org_wide = Installer(team_id=None, enterprise_id="E0ORG", org_wide=True)
    assert status_of(oauth_app, org_wide) == 200
    assert oauth_app.services.api.auth_test()["is_enterprise_install"] is True


def test_a_workspace_install_does_not_narrow_an_org_wide_one(oauth_app: RunningApp) -> None:
    """Refused, but its token is not revoked: the bot is the organisation's own, and
    revoking a bot token deactivates the bot user in that workspace."""
    org_wide = Installer(team_id=None, enterprise_id="E0ORG", org_wide=True)
    assert status_of(oauth_app, org_wide) == 200
    assert status_of(oauth_app, Installer(team_id="T0FIN", enterprise_id="E0ORG")) == 409
    assert oauth_app.standin.calls("auth.revoke") == []
    assert oauth_app.services.api.auth_test()["is_enterprise_install"] is True
    assert status_of(oauth_app, org_wide) == 200  # installing org-wide again is fine
