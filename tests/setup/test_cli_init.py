"""`python app.py init`, the first-run wizard, run as a real process with its answers on
stdin (no terminal): wrong answers are explained and asked again, `policy.toml` and `.env`
are written from the commented examples, nothing is replaced without a yes, and `check`
runs at the end (README: Set up your workspace)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.policy import load_policy
from demo.standin import SlackStandin
from tests.setup.test_cli import ROOT

BASE = {"PATH": "/usr/bin:/bin", "TZ": "America/Chicago"}


def init(folder: Path, answers: list[str], *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "init", *args],
        cwd=folder,
        env={**BASE, "HOME": str(folder), **env},
        input="".join(f"{a}\n" for a in answers),
        capture_output=True,
        text=True,
        timeout=60,
    )


def answers(
    cases: str = "C0CASES",
    managers: str = "U0MGR",
    token: str = "",
    secret: str = "",
    migrate: str = "y",
) -> list[str]:
    """Every answer in order: cases, finance, reports, sales channels; six roles; currency;
    time zone; bot token; signing secret; create the schema."""
    roles = [managers, "U0SAVE1 dana@example.com", "@finance", "U0CTRL", "U0CFO", ""]
    return [cases, "C0FIN", "", "", *roles, "eur", "", token, secret, migrate]


def test_a_first_run_writes_both_files_and_runs_check(tmp_path: Path) -> None:
    typed = answers(cases="#cases", managers="U0MGR, bob")
    typed[1:1] = ["C0CASES"]  # the channel ID, after the name was refused
    typed[6:6] = ["U0MGR, bob@example.com"]  # after "bob" was refused
    result = init(tmp_path, typed)
    out = result.stdout
    assert "✗ #cases is a channel name, not its ID; type its ID (C0123ABCD" in out
    assert "✗ 'bob' is not a Slack user ID (U0123ABCD), an email or an @group" in out
    assert "Time zone for business hours [UTC]: " in out  # the policy's own default
    assert "already exist" not in out  # nothing was there to replace

    policy = load_policy(tmp_path / "policy.toml")
    assert (policy.channels.cases, policy.channels.finance) == ("C0CASES", "C0FIN")
    assert policy.channels.reports is None
    assert policy.roles["managers"] == ("U0MGR", "bob@example.com")
    assert policy.roles["save_desk"] == ("U0SAVE1", "dana@example.com")
    assert (policy.currency, policy.timezone.key) == ("EUR", "UTC")
    assert {r.owner for r in policy.survey_reasons} == {"C0CASES"}  # no sample IDs left
    assert policy.signals.watch_channels == () and policy.signals.bots == ()
    text = (tmp_path / "policy.toml").read_text()
    assert "# Routing: the first rule that matches" in text  # the explanations stay

    env = (tmp_path / ".env").read_text()
    assert "\n# SLACK_BOT_TOKEN=xoxb-your-bot-token\n" in env  # to fill in: listed by check
    assert env.startswith("# Savedesk settings, written by `python app.py init`")
    assert "Copy to .env" not in env and "Replace every example value" not in env
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0
    assert "database: schema up to date" in out
    assert "problem: SLACK_BOT_TOKEN is required" in out
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_with_slack_answering_check_says_ok(tmp_path: Path) -> None:
    with SlackStandin() as slack:
        for user in ("U0MGR", "U0SAVE1", "U0CTRL", "U0CFO"):
            slack.add_user(user)
        slack.add_user("U0DANA", email="dana@example.com")
        slack.add_usergroup("S0FIN", "finance", ("U0CFO",))
        typed = answers(token="xoxb-1-2-3", secret="s3cret")
        result = init(tmp_path, typed, SLACK_API_URL=slack.api_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("check: OK")
    env = (tmp_path / ".env").read_text()
    assert "\nSLACK_BOT_TOKEN=xoxb-1-2-3\n" in env and "\nSLACK_SIGNING_SECRET=s3cret\n" in env
    assert "xoxb-1-2-3" not in result.stdout  # a secret is never echoed back


def test_nothing_is_replaced_without_a_yes(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text("# mine\n")
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\n")
    typed = ["maybe", "", "y", *answers(migrate="n")]  # policy.toml: ?, then no; .env: yes
    result = init(tmp_path, typed)
    assert result.stdout.startswith("policy.toml exists. Replace it? [y/N]: ")
    assert "✗ answer y or n" in result.stdout
    assert (tmp_path / "policy.toml").read_text() == "# mine\n"
    assert "policy.toml stays as it is; this run writes policy.new.toml instead" in result.stdout
    assert load_policy(tmp_path / "policy.new.toml").channels.cases == "C0CASES"
    env = (tmp_path / ".env").read_text()
    assert "LOG_LEVEL=DEBUG" not in env and "\nPOLICY_FILE=policy.toml\n" in env
    assert "needs `python app.py migrate`" in result.stdout  # schema declined: check says so


def test_the_existing_files_give_the_defaults_and_no_answer_is_lost(tmp_path: Path) -> None:
    """README: `cp policy.example.toml policy.toml` first. init asks about replacing it
    before any question, takes its values as the defaults (Enter keeps each), and a no
    writes the answers to policy.new.toml rather than dropping them."""
    (tmp_path / "policy.toml").write_text((ROOT / "policy.example.toml").read_text())
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-kept\nSLACK_SIGNING_SECRET=sss\n")
    before = load_policy(tmp_path / "policy.toml")
    enter = [""] * 12  # every channel, role, currency and time zone question: Enter
    result = init(tmp_path, ["n", "y", *enter[:1], "-", *enter[2:], "", "", "n"])
    out = result.stdout
    assert out.index("Replace it?") < out.index("Cases channel ID")
    assert f"Time zone for business hours [{before.timezone.key}]: " in out
    assert before.timezone.key == "America/New_York"
    new = load_policy(tmp_path / "policy.new.toml")
    assert new.timezone.key == "America/New_York" and new.currency == before.currency
    assert new.channels.cases == before.channels.cases and new.channels.finance is None  # -
    assert new.roles["managers"] == before.roles["managers"]
    assert (tmp_path / "policy.toml").read_text() == (ROOT / "policy.example.toml").read_text()
    env = (tmp_path / ".env").read_text()
    assert "\nSLACK_BOT_TOKEN=xoxb-kept\n" in env and "\nSLACK_SIGNING_SECRET=sss\n" in env
    assert "Bot token (xoxb-…) (Enter keeps the one in .env): " in out


def test_manifest_gets_the_host(tmp_path: Path) -> None:
    result = init(tmp_path, answers(), "--manifest", "https://savedesk.example.com/")
    manifest = (tmp_path / "slack-manifest.yml").read_text()
    assert "YOUR-HOST" not in manifest
    assert manifest.count("https://savedesk.example.com/slack/events") == 4
    assert "slack-manifest.yml" in result.stdout


def test_a_bad_manifest_host_stops_before_any_question(tmp_path: Path) -> None:
    result = init(tmp_path, [], "--manifest", "http://savedesk.example.com/app")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "savedesk: --manifest: 'http://savedesk.example.com/app' is not an https://HOST address"
    )
    assert "Cases channel" not in result.stdout and not list(tmp_path.iterdir())


def test_answers_that_end_early_say_which_question(tmp_path: Path) -> None:
    result = init(tmp_path, ["C0CASES", "", ""])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("savedesk: init: no answer to 'Sales channel")
    assert not (tmp_path / "policy.toml").exists()


def test_ids_are_taken_as_typed_never_upper_cased(tmp_path: Path) -> None:
    """`cases` is a channel's name: upper-cased it would look like an ID (CASES)."""
    typed = answers(cases="cases", managers="will")
    typed[1:1] = ["c0cases", "C0CASES"]  # a name, then an ID in small letters, then right
    typed[3:3] = ["finance"]  # the finance channel's name, then its ID (C0FIN)
    typed[8:8] = ["U0MGR"]  # after "will", a word that upper-cased looks like a user ID
    result = init(tmp_path, typed)
    out = result.stdout
    assert "✗ cases is a channel name, not its ID; type its ID (C0123ABCD" in out
    assert "✗ 'c0cases': channel IDs are in capitals (did you mean C0CASES?)" in out
    assert "✗ finance is a channel name, not its ID" in out
    assert "✗ 'will' is not a Slack user ID (U0123ABCD), an email or an @group" in out
    policy = load_policy(tmp_path / "policy.toml")
    assert (policy.channels.cases, policy.channels.finance) == ("C0CASES", "C0FIN")
    assert policy.roles["managers"] == ("U0MGR",)


def test_existing_files_are_named_first_and_an_example_token_is_asked_again(
    tmp_path: Path,
) -> None:
    """A `.env` copied from .env.example (example secrets) is kept: init still offers the
    schema, and check lists the example values as problems under its full summary."""
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    typed = answers(token="xoxb-your-bot-token")
    typed[-2:-2] = ["xoxp-1-2", ""]  # a user token, then Enter: fill it in later
    result = init(tmp_path, ["n", *typed])  # .env exists: keep it
    out = result.stdout
    assert out.startswith(".env exists. Replace it? [y/N]: ")
    assert ".env stays as it is; this run writes .env.new instead" in out
    assert "✗ 'xoxb-your-bot-token' is the example value, not a bot token" in out
    assert "✗ a bot token starts with xoxb- (press Enter to fill it in later)" in out
    assert "Create the database tables now (`python app.py migrate`)? [Y/n]: " in out
    assert "database: schema up to date" in out and "Policy: policy.toml" in out
    assert "problem: SLACK_BOT_TOKEN still holds the example value 'xoxb-your-bot-token'" in out
    assert "problem: SLACK_BOT_TOKEN is required" not in out  # said once, the precise way
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_every_replace_question_comes_before_any_file_is_written(tmp_path: Path) -> None:
    """Yes to policy.toml, then the answers end (as a Ctrl-C would) at the .env question:
    both files are as they were, not one replaced and one kept."""
    (tmp_path / "policy.toml").write_text("# mine\n")
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\n")
    result = init(tmp_path, ["y"])  # input ends at .env's question, before any other
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no answer to '.env exists. Replace it? [y/N]:'" in result.stderr
    assert (tmp_path / "policy.toml").read_text() == "# mine\n"
    assert (tmp_path / ".env").read_text() == "LOG_LEVEL=DEBUG\n"
    assert "wrote" not in result.stdout


def test_a_pasted_channel_link_or_mention_gives_its_id(tmp_path: Path) -> None:
    """Slack's "Copy link" on a channel or a profile, or a mention, pasted as the answer."""
    typed = answers(
        cases="https://acme.slack.com/archives/C0CASES/",
        managers="<@U0MGR>, https://acme.enterprise.slack.com/team/W0BOSS",
    )
    typed[1] = "<#C0FIN|finance>"
    result = init(tmp_path, typed)
    assert "✗" not in result.stdout
    policy = load_policy(tmp_path / "policy.toml")
    assert (policy.channels.cases, policy.channels.finance) == ("C0CASES", "C0FIN")
    assert policy.roles["managers"] == ("U0MGR", "W0BOSS")
