"""`python app.py check` says yes only when Savedesk can do its job: every problem is listed
and exits non-zero; warnings stay warnings (docs/cli.md, *Commands*)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.policy import PolicyError, parse_policy
from demo.standin import SlackStandin
from tests.setup.test_cli import GOOD, ROOT, run_app

POLICY = """
[channels]
cases = "C0CASES"

[roles]
managers = ["U0MGR"]
"""


def problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("problem: ")]


@pytest.fixture
def slack_env() -> Iterator[dict[str, str]]:
    """GOOD with a Slack that answers (the stand-in): not reaching Slack is a problem."""
    with SlackStandin() as slack:
        yield {**GOOD, "SLACK_API_URL": slack.api_url}


@pytest.fixture
def ready(tmp_path: Path, slack_env: dict[str, str]) -> dict[str, str]:
    """A policy with a cases channel and a migrated database: `check` passes."""
    (tmp_path / "policy.toml").write_text(POLICY)
    env = {**slack_env, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    assert run_app(tmp_path, "migrate", **env).returncode == 0
    return env


def test_ready_passes_with_warnings_left_as_warnings(tmp_path: Path, ready: dict[str, str]) -> None:
    result = run_app(tmp_path, "check", **ready)
    assert result.returncode == 0, result.stdout + result.stderr
    assert problems(result) == []
    assert "warning: channels.sales is not set" in result.stdout
    assert result.stdout.rstrip().endswith("check: OK")


def test_policy_file_named_but_absent_is_a_problem(tmp_path: Path, ready: dict[str, str]) -> None:
    result = run_app(tmp_path, "check", **ready, POLICY_FILE="polcy.toml")
    assert result.returncode == 1, result.stderr
    assert problems(result)[0] == (
        "problem: POLICY_FILE: polcy.toml does not exist (the built-in defaults would apply); "
        "create it (`cp policy.example.toml polcy.toml`, then edit) or unset POLICY_FILE"
    )


def test_no_policy_file_setting_means_the_defaults(
    tmp_path: Path, slack_env: dict[str, str]
) -> None:
    """No POLICY_FILE and no policy.toml: the defaults, said so; only their missing cases
    channel is a problem."""
    env = {**slack_env, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    assert run_app(tmp_path, "migrate", **env).returncode == 0
    result = run_app(tmp_path, "check", **env)
    assert "Policy: no policy file: built-in defaults" in result.stdout
    assert result.returncode == 1
    assert [p.split(":")[1] for p in problems(result)] == [" channels.cases is not set"]


def test_no_cases_channel_is_a_problem(tmp_path: Path, ready: dict[str, str]) -> None:
    (tmp_path / "policy.toml").write_text('[roles]\nmanagers = ["U0MGR"]\n')
    result = run_app(tmp_path, "check", **ready)
    assert result.returncode == 1
    assert problems(result) == [
        "problem: channels.cases is not set: case threads cannot be posted "
        '(set [channels] cases = "C…", the ID in the channel\'s details)'
    ]
    assert "warning: channels.cases" not in result.stdout


def test_a_schema_that_needs_migrate_is_a_problem(
    tmp_path: Path, slack_env: dict[str, str]
) -> None:
    (tmp_path / "policy.toml").write_text(POLICY)
    env = {**slack_env, "DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"}
    result = run_app(tmp_path, "check", **env)
    assert result.returncode == 1
    assert problems(result) == [
        f"problem: database: {tmp_path}/fresh.db does not exist yet; "
        "`python app.py migrate` creates it"
    ]
    assert not (tmp_path / "fresh.db").exists()  # check creates nothing
    (tmp_path / "fresh.db").touch()
    assert problems(run_app(tmp_path, "check", **env)) == [
        "problem: database: the schema (empty) needs `python app.py migrate`"
    ]
    assert run_app(tmp_path, "migrate", **env).returncode == 0
    assert run_app(tmp_path, "check", **env).returncode == 0


def test_the_policy_is_read_without_a_slack_token(tmp_path: Path, ready: dict[str, str]) -> None:
    """A new user checks the policy before creating the Slack app: every missing secret is
    one problem among the others, after the policy's summary."""
    env = {"DATABASE_URL": ready["DATABASE_URL"]}
    result = run_app(tmp_path, "check", **env)
    assert result.returncode == 1, result.stderr
    assert "Channels: cases C0CASES" in result.stdout
    assert problems(result) == [
        "problem: SLACK_BOT_TOKEN is required (a xoxb-… token from your Slack app), unless "
        "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET turn on OAuth installs",
        "problem: SLACK_SIGNING_SECRET is required (from your Slack app's Basic Information), "
        "unless SLACK_APP_TOKEN enables Socket Mode",
    ]
    socket_mode = run_app(tmp_path, "check", **env, SLACK_APP_TOKEN="xapp-1-x")
    assert [p.split(" is ")[0] for p in problems(socket_mode)] == ["problem: SLACK_BOT_TOKEN"]


def test_other_commands_still_stop_without_a_token(tmp_path: Path) -> None:
    result = run_app(tmp_path, "migrate", SLACK_SIGNING_SECRET="x")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "savedesk: SLACK_BOT_TOKEN is required (a xoxb-… token from your Slack app)"
    )


BAD_DURATIONS = """
[escalation]
acknowledge_within = "4x"
escalate_after = "1d"
repeat_every = "0s"
stale_after = 7
[dunning]
pre_renewal_check = "soon"
"""


def test_every_malformed_duration_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(BAD_DURATIONS)
    assert str(raised.value) == (
        'policy.toml: escalation.acknowledge_within: "4x" is not a duration '
        "(use 30s, 15m, 4h, 2d, 1w); "
        'escalation.repeat_every: "0s" must be longer than 0s; '
        "escalation.stale_after: expected a duration (use 30s, 15m, 4h, 2d, 1w); "
        'dunning.pre_renewal_check: "soon" is not a duration (use 30s, 15m, 4h, 2d, 1w)'
    )
    (tmp_path / "policy.toml").write_text(BAD_DURATIONS)
    result = run_app(tmp_path, "check", **GOOD, DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line
    for key in ("acknowledge_within", "repeat_every", "stale_after", "pre_renewal_check"):
        assert key in line
    assert "escalate_after" not in line
    assert parse_policy('[dunning]\npre_renewal_check = ""\n').dunning.pre_renewal_check is None


def test_the_example_policy_has_no_problem(tmp_path: Path, slack_env: dict[str, str]) -> None:
    env = {**slack_env, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    assert run_app(tmp_path, "migrate", **env).returncode == 0
    result = run_app(tmp_path, "check", **env, POLICY_FILE=str(ROOT / "policy.example.toml"))
    assert result.returncode == 0, result.stdout


def test_an_example_token_is_a_problem_under_the_full_summary(
    tmp_path: Path, ready: dict[str, str]
) -> None:
    """Like a missing token: everything understood is printed, then the problem lines."""
    result = run_app(tmp_path, "check", **{**ready, "SLACK_BOT_TOKEN": "xoxb-your-bot-token"})
    assert result.returncode == 1, result.stderr
    assert "Policy: policy.toml" in result.stdout and "database: schema up to date" in result.stdout
    assert problems(result) == [
        "problem: SLACK_BOT_TOKEN still holds the example value 'xoxb-your-bot-token': replace "
        "it with the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions"
    ]


def test_an_unquoted_string_gets_a_hint(tmp_path: Path, ready: dict[str, str]) -> None:
    (tmp_path / "policy.toml").write_text("[channels]\ncases = C0CASES\n")
    result = run_app(tmp_path, "check", **ready)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        'savedesk: policy.toml: line 2: Invalid value (strings need quotes, e.g. cases = "C0CASES")'
    )


def test_slack_answering_checks_the_token_and_the_channels(
    tmp_path: Path, ready: dict[str, str]
) -> None:
    """A refused token, a channel Slack does not know and one without the app are problems
    (the stand-in answers conversations.info as Slack does)."""
    policy = POLICY.replace('cases = "C0CASES"', 'cases = "C0CASES"\nfinance = "C0FIN"')
    (tmp_path / "policy.toml").write_text(policy)
    with SlackStandin() as slack:
        env = {**ready, "SLACK_API_URL": slack.api_url}
        assert run_app(tmp_path, "check", **env).returncode == 0
        slack.remove_channel("C0CASES")
        slack.remove_app("C0FIN")
        result = run_app(tmp_path, "check", **env)
        assert problems(result) == [
            "problem: channels.cases: Slack knows no channel C0CASES (channel_not_found); "
            "check the ID, or /invite the app if the channel is private",
            "problem: channels.finance: the app is not in channel C0FIN; /invite the app there",
        ]
        slack.refuse_token("invalid_auth")
        result = run_app(tmp_path, "check", **env)
    assert result.returncode == 1 and result.stderr == ""
    assert problems(result) == [
        "problem: SLACK_BOT_TOKEN: Slack refuses it (invalid_auth); copy the Bot User OAuth "
        "Token (xoxb-…) again from your app's OAuth & Permissions"
    ]


def test_check_help_says_what_it_checks_and_its_exit_codes(tmp_path: Path) -> None:
    shown = " ".join(run_app(tmp_path, "check", "--help").stdout.split())
    assert "policy file" in shown and "Exit 0 when there is no problem" in shown
    assert "1 on a problem, 2 on a malformed setting or policy" in shown
