"""The Slack stand-in installs the app as Slack does: codes, tokens per installation,
rotation with expiring tokens and single-use refresh tokens, uninstalls, and workflow steps
completed once."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from demo.standin import SlackStandin
from demo.standin.installs import Installer

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Now:
    def __init__(self) -> None:
        self.seconds = 1_800_000_000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    with SlackStandin() as standin:
        yield standin


def approve(
    standin: SlackStandin,
    redirect: str = "https://app.example/slack/oauth_redirect",
    scope: str = "commands,chat:write",
) -> str:
    """Open the authorize page, asking for `scope`; the code it sends the installer back
    with."""
    query = urlencode(
        {"client_id": "111.222", "scope": scope, "state": "s1", "redirect_uri": redirect}
    )
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(f"{standin.base_url}/oauth/v2/authorize?{query}")
    location = answer.value.headers["Location"]
    params = parse_qs(urlsplit(location).query)
    assert location.startswith(redirect) and params["state"] == ["s1"]
    return params["code"][0]


def client(standin: SlackStandin, token: str | None = None) -> WebClient:
    return WebClient(token=token, base_url=standin.api_url)


def test_a_code_is_exchanged_once_for_a_token_of_that_workspace(slack: SlackStandin) -> None:
    slack.register_app("111.222", "shh")
    code = approve(slack)
    with pytest.raises(SlackApiError) as bad:
        client(slack).oauth_v2_access(client_id="111.222", client_secret="wrong", code=code)
    assert bad.value.response["error"] == "bad_client_secret"
    answer = client(slack).oauth_v2_access(client_id="111.222", client_secret="shh", code=code)
    assert answer["team"]["id"] == "T0TEST" and answer["is_enterprise_install"] is False
    assert "refresh_token" not in answer.data
    with pytest.raises(SlackApiError) as again:
        client(slack).oauth_v2_access(client_id="111.222", client_secret="shh", code=code)
    assert again.value.response["error"] == "invalid_code"
    auth = client(slack, answer["access_token"]).auth_test()
    assert (auth["team_id"], auth["is_enterprise_install"]) == ("T0TEST", False)
    with pytest.raises(SlackApiError) as unknown:
        client(slack, "xoxb-never-issued").auth_test()
    assert unknown.value.response["error"] == "invalid_auth"


def test_org_wide_install_answers_for_the_organisation(slack: SlackStandin) -> None:
    slack.register_app("111.222", "shh")
    slack.next_installer = Installer(team_id=None, enterprise_id="E0ORG", org_wide=True)
    answer = client(slack).oauth_v2_access(
        client_id="111.222", client_secret="shh", code=approve(slack)
    )
    assert answer["team"] is None and answer["enterprise"]["id"] == "E0ORG"
    assert answer["is_enterprise_install"] is True
    auth = client(slack, answer["access_token"]).auth_test()
    assert (auth["enterprise_id"], auth["is_enterprise_install"]) == ("E0ORG", True)


def test_rotating_tokens_expire_and_each_refresh_token_works_once(slack: SlackStandin) -> None:
    now = Now()
    slack.register_app("111.222", "shh", rotation=True, token_lifetime=3600)
    slack.token_clock = now
    first = client(slack).oauth_v2_access(
        client_id="111.222", client_secret="shh", code=approve(slack)
    )
    assert first["access_token"].startswith("xoxe.xoxb-") and first["expires_in"] == 3600
    now.seconds += 3600
    with pytest.raises(SlackApiError) as expired:
        client(slack, first["access_token"]).chat_postMessage(channel="C0CASES", text="hi")
    assert expired.value.response["error"] == "token_expired"
    refreshed = client(slack).oauth_v2_access(
        client_id="111.222",
        client_secret="shh",
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
    )
    assert refreshed["refresh_token"] != first["refresh_token"]
    assert client(slack, refreshed["access_token"]).chat_postMessage(channel="C0CASES", text="hi")[
        "ok"
    ]
    with pytest.raises(SlackApiError) as reused:
        client(slack).oauth_v2_access(
            client_id="111.222",
            client_secret="shh",
            grant_type="refresh_token",
            refresh_token=first["refresh_token"],
        )
    assert reused.value.response["error"] == "invalid_refresh_token"


def test_uninstall_revokes_every_token_of_the_installation(slack: SlackStandin) -> None:
    slack.register_app("111.222", "shh")
    answer = client(slack).oauth_v2_access(
        client_id="111.222", client_secret="shh", code=approve(slack)
    )
    slack.uninstall(team_id="T0TEST")
    with pytest.raises(SlackApiError) as revoked:
        client(slack, answer["access_token"]).auth_test()
    assert revoked.value.response["error"] == "token_revoked"


def test_a_step_completes_once_with_its_declared_outputs(slack: SlackStandin) -> None:
    slack.declare_steps(yaml.safe_load(MANIFEST.read_text()))
    inputs = {"account": "acme", "kind": "cancellation", "stated_reason": "budget"}
    event = slack.run_step("open_churn_case_step", inputs)
    api = client(slack, event["bot_access_token"])
    execution = event["function_execution_id"]
    with pytest.raises(SlackApiError) as invalid:
        api.functions_completeSuccess(function_execution_id=execution, outputs={"case_id": "1"})
    assert invalid.value.response["error"] == "parameter_validation_failed"
    outputs = {"case_id": "1", "thread_permalink": "https://x/1"}
    api.functions_completeSuccess(function_execution_id=execution, outputs=outputs)
    assert slack.execution(execution).state == "completed"
    with pytest.raises(SlackApiError) as twice:
        api.functions_completeError(function_execution_id=execution, error="late")
    assert twice.value.response["error"] == "execution_not_in_running_state"
    with pytest.raises(SlackApiError) as unknown:
        api.functions_completeError(function_execution_id="Fx0", error="x")
    assert unknown.value.response["error"] == "function_execution_not_found"
    with pytest.raises(ValueError):
        slack.run_step("open_churn_case_step", {"account": "acme"})


def test_a_workspace_token_reaches_only_its_workspaces_channels(slack: SlackStandin) -> None:
    slack.register_app("111.222", "shh")
    slack.place_channel("C0FINANCE", "T0FIN")
    slack.next_installer = Installer(team_id="T0CS", enterprise_id="E0ORG")
    cs = client(slack).oauth_v2_access(
        client_id="111.222", client_secret="shh", code=approve(slack)
    )
    with pytest.raises(SlackApiError) as elsewhere:
        client(slack, cs["access_token"]).chat_postMessage(channel="C0FINANCE", text="hi")
    assert elsewhere.value.response["error"] == "channel_not_found"
    slack.next_installer = Installer(team_id=None, enterprise_id="E0ORG", org_wide=True)
    org = client(slack).oauth_v2_access(
        client_id="111.222", client_secret="shh", code=approve(slack)
    )
    assert client(slack, org["access_token"]).chat_postMessage(channel="C0FINANCE", text="hi")["ok"]


def test_an_installed_token_has_only_the_scopes_its_install_granted(slack: SlackStandin) -> None:
    """Asked for `commands` only: chat:write, users:read and a DM's im:history are refused
    as Slack refuses them (missing_scope, naming the scope needed)."""
    slack.register_app("111.222", "shh")
    answer = client(slack).oauth_v2_access(
        client_id="111.222", client_secret="shh", code=approve(slack, scope="commands")
    )
    bot = client(slack, answer["access_token"])
    for call, needed in (
        (lambda: bot.chat_postMessage(channel="C0CASES", text="hi"), "chat:write"),
        (lambda: bot.users_info(user="U0CSM"), "users:read"),
        (lambda: bot.conversations_history(channel="D0DM"), "im:history"),
        (lambda: bot.conversations_history(channel="C0CASES"), "channels:history"),
    ):
        with pytest.raises(SlackApiError) as refused:
            call()
        assert refused.value.response["error"] == "missing_scope"
        assert refused.value.response["needed"] == needed
    assert bot.auth_test()["ok"]  # no scope needed


def authorize(standin: SlackStandin, **params: str) -> tuple[int, str]:
    """Open the authorize page with `params`; (status, Location or the page's text)."""
    query = urlencode({"client_id": "111.222", "state": "s1", **params})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(f"{standin.base_url}/oauth/v2/authorize?{query}") as page:
            return page.status, page.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("Location") or answer.read().decode()


def test_the_authorize_page_takes_the_apps_redirect_url_as_slack_does(slack: SlackStandin) -> None:
    """redirect_uri is optional (the app's Redirect URL is used); when given, it must be that
    URL or under it (https://api.slack.com/authentication/oauth-v2)."""
    app = "http://127.0.0.1:3000/slack/oauth_redirect"
    slack.register_app("111.222", "shh", redirect_url=app)
    status, where = authorize(slack)
    assert status == 302 and where.startswith(f"{app}?code=")
    assert authorize(slack, redirect_uri=f"{app}/deeper")[0] == 302
    for elsewhere in (
        "http://evil.example/slack/oauth_redirect",
        f"{app}-not",
        "https://127.0.0.1:3000/slack/oauth_redirect",
    ):
        status, page = authorize(slack, redirect_uri=elsewhere)
        assert status == 400 and "bad_redirect_uri" in page, elsewhere
    status, where = authorize(slack, client_id="999.999")
    assert status == 302 and where == f"{app}?error=invalid_client_id"


def test_without_a_redirect_url_anywhere_the_authorize_page_refuses(slack: SlackStandin) -> None:
    slack.register_app("111.222", "shh")
    status, page = authorize(slack)
    assert status == 400 and "no Redirect URL" in page


def test_the_standin_alone_accepts_the_credentials_it_is_given() -> None:
    """`python -m demo.standin`: the client id and secret from the environment Savedesk
    reads (else its own, printed), the Redirect URL from SLACK_REDIRECT_URI or Savedesk's
    default port."""
    from demo.standin.__main__ import (
        DEFAULT_REDIRECT_URL,
        STANDIN_CLIENT_ID,
        STANDIN_CLIENT_SECRET,
        parse_args,
    )

    own = parse_args([], {})
    assert (own.client_id, own.client_secret) == (STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET)
    assert own.redirect_url == DEFAULT_REDIRECT_URL
    env = {
        "SLACK_CLIENT_ID": "5.6",
        "SLACK_CLIENT_SECRET": "theirs",
        "SLACK_REDIRECT_URI": "https://savedesk.example/slack/oauth_redirect",
    }
    given = parse_args([], env)
    assert (given.client_id, given.client_secret) == ("5.6", "theirs")
    assert given.redirect_url == env["SLACK_REDIRECT_URI"]
    assert parse_args(["--redirect-url", "http://h:1/r"], env).redirect_url == "http://h:1/r"


def test_a_revoked_token_is_refused_everywhere(slack: SlackStandin) -> None:
    """auth.revoke as Slack answers it: `test` revokes nothing; then the token answers
    token_revoked to every method, auth.test included, its refresh token is spent, and a
    token never issued cannot be revoked (invalid_auth)."""
    slack.register_app("111.222", "shh", rotation=True)
    answer = client(slack).oauth_v2_access(
        client_id="111.222", client_secret="shh", code=approve(slack)
    )
    bot = client(slack, answer["access_token"])
    assert bot.auth_revoke(test=True)["revoked"] is False
    assert bot.auth_test()["ok"]
    assert bot.auth_revoke()["revoked"] is True
    for call in (
        bot.auth_test,
        bot.auth_revoke,
        lambda: bot.chat_postMessage(channel="C0CASES", text="hi"),
    ):
        with pytest.raises(SlackApiError) as revoked:
            call()
        assert revoked.value.response["error"] == "token_revoked"
    with pytest.raises(SlackApiError) as refresh:
        client(slack).oauth_v2_access(
            client_id="111.222",
            client_secret="shh",
            grant_type="refresh_token",
            refresh_token=answer["refresh_token"],
        )
    assert refresh.value.response["error"] == "invalid_refresh_token"
    for never in ("xoxb-never-issued", "xoxe.xoxb-1-999"):
        with pytest.raises(SlackApiError) as unknown:
            client(slack, never).auth_revoke()
        assert unknown.value.response["error"] == "invalid_auth"
