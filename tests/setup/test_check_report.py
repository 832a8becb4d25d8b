"""`python app.py check` as a new user reads it: Slack not reached and a database that does
not answer are problems (exit 1, as `check --help` says), findings are check's own lines
(never raw log records), and each missing secret is named for what it is (docs/cli.md)."""

from __future__ import annotations

from pathlib import Path

from demo.standin import SlackStandin
from tests.setup.test_cli import GOOD, ROOT, run_app
from tests.setup.test_cli_check import POLICY, problems


def migrated(tmp_path: Path, policy: str = POLICY) -> dict[str, str]:
    (tmp_path / "policy.toml").write_text(policy)
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    assert run_app(tmp_path, "migrate", **env).returncode == 0
    return env


def test_slack_not_reached_is_a_problem_naming_the_url(tmp_path: Path) -> None:
    env = migrated(tmp_path)
    result = run_app(tmp_path, "check", **env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert problems(result) == [
        "problem: Slack: could not reach http://127.0.0.1:9/api/ to verify SLACK_BOT_TOKEN "
        "(Connection refused); SLACK_API_URL is set: is it right? unset it to use Slack "
        "itself, then run check again (the channels and role holders were not checked either)"
    ]
    assert "check: OK" not in result.stdout and result.stderr == ""


def test_an_unknown_group_is_one_of_checks_warnings_never_a_log_line(tmp_path: Path) -> None:
    """policy.example.toml names @cs-leads; a workspace without that group gets a `warning:`
    line saying where the policy names it, and no raw `WARNING bot.people.team` record."""
    env = migrated(tmp_path)
    with SlackStandin() as slack:
        env |= {"SLACK_API_URL": slack.api_url, "POLICY_FILE": str(ROOT / "policy.example.toml")}
        result = run_app(tmp_path, "check", **env)
    shown = result.stdout + result.stderr
    assert "WARNING bot." not in shown and " WARNING " not in shown, shown
    assert (
        "warning: the policy names @cs-leads, which Slack cannot resolve (no Slack user group "
        "has the handle @cs-leads): nobody is reached through it; create it in Slack or "
        "correct it"
    ) in result.stdout.splitlines()
    assert result.stdout.rstrip().endswith("check: OK"), shown


def test_the_test_clock_is_one_loud_warning(tmp_path: Path) -> None:
    env = migrated(tmp_path)
    (tmp_path / "clock").write_text("0")
    with SlackStandin() as slack:
        env |= {"SLACK_API_URL": slack.api_url, "SAVEDESK_TEST_CLOCK_FILE": str(tmp_path / "clock")}
        result = run_app(tmp_path, "check", **env)
    shown = result.stdout + result.stderr
    assert result.returncode == 0, shown
    assert shown.count("TEST CLOCK ON") == 1, shown
    assert result.stderr == "", result.stderr


def test_a_database_that_does_not_answer_is_a_problem_exit_1(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text(POLICY)
    url = "postgresql+psycopg://nobody@127.0.0.1:1/x"
    result = run_app(tmp_path, "check", **GOOD, DATABASE_URL=url)
    assert result.returncode == 1, result.stdout + result.stderr
    said = [p for p in problems(result) if "DATABASE_URL" in p]
    assert len(said) == 1 and "the database does not answer" in said[0]
    assert said[0].endswith("start it, or fix DATABASE_URL (host, port, name, user)")
    assert "Channels: cases C0CASES" in result.stdout  # the rest is still reported


def test_a_missing_client_secret_is_named_not_the_bot_token(tmp_path: Path) -> None:
    env = migrated(tmp_path)
    del env["SLACK_BOT_TOKEN"]
    result = run_app(tmp_path, "check", **env, SLACK_CLIENT_ID="1.2")
    assert problems(result) == [
        "problem: SLACK_CLIENT_SECRET is required with SLACK_CLIENT_ID for OAuth installs (the "
        "Client Secret from your Slack app's Basic Information); or unset SLACK_CLIENT_ID and "
        "set SLACK_BOT_TOKEN"
    ]
    example = run_app(
        tmp_path, "check", **env, SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="your-client-secret"
    )
    assert example.returncode == 1
    assert [p.split(" ")[1] for p in problems(example)] == ["SLACK_CLIENT_SECRET"]
