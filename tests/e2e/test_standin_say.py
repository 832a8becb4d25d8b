"""The stand-in alone rehearsed as docs/demo.md (*The stand-in alone*) tells a new user to:
`python -m demo.standin` in one terminal, `python app.py` against it with one bot token in
another, and `python -m demo.standin.say "/churn …"` typing a command as a person would,
printing the app's answer and what it then posted. And the stand-in alone knows its
workspace's channels: `check` flags a policy naming another."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import eventually
from tests.e2e.test_oauth_rehearsal import ROOT, Printed, app, clean_env, savedesk_running, stop
from tests.e2e.test_process import free_port, wait_healthy

SECRET = "say-signing-secret"
ACCOUNTS = "external_id,name,arr,csm,account_owner\nacme,Acme Corp,84000,U0CSM,U0AE\n"


def run_standin(*args: str) -> tuple[subprocess.Popen[str], Printed]:
    """Terminal 1: `python -m demo.standin` on a free port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo.standin", "--port", "0", *args],
        cwd=ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return proc, Printed(proc)


@pytest.fixture
def standin() -> Iterator[Printed]:
    proc, printed = run_standin("--channel", "C0ESC=escalations")
    try:
        yield printed
    finally:
        stop(proc)


def workspace(tmp_path: Path, standin: Printed, cases: str, port: int = 3000) -> None:
    """A new user's folder: `.env` with one bot token and the stand-in's URL, a policy;
    then its accounts imported (which creates the database's tables)."""
    env_file(tmp_path, standin, port)
    (tmp_path / "policy.toml").write_text(f'[channels]\ncases = "{cases}"\n')
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    imported = app(tmp_path, "import", "accounts", "accounts.csv")
    assert imported.returncode == 0, imported.stdout + imported.stderr


def env_file(tmp_path: Path, standin: Printed, port: int) -> None:
    (tmp_path / ".env").write_text(
        f"SLACK_BOT_TOKEN=xoxb-rehearsal\nSLACK_SIGNING_SECRET={SECRET}\n"
        f"SLACK_API_URL={standin.value('SLACK_API_URL')}\n"
        f"DATABASE_URL=sqlite:///{tmp_path}/savedesk.db\nPORT={port}\n"
    )


def say(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m demo.standin.say …` in the user's folder (its `.env` gives the defaults)."""
    env = clean_env() | {"PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "demo.standin.say", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_say_types_a_command_and_prints_the_answer_and_the_case_post(
    standin: Printed, tmp_path: Path
) -> None:
    port = free_port()
    workspace(tmp_path, standin, "C0CASES", port)
    with savedesk_running(tmp_path) as proc:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        said = say(tmp_path, "--wait", "30", "/churn cancel acme budget cut")
        refused = say(tmp_path, "--signing-secret", "not-the-apps", "/churn help")
    printed = said.stdout
    assert said.returncode == 0, printed + said.stderr
    assert printed.startswith(
        "/churn cancel acme budget cut  (@Casey Kim in #general): the app answered (HTTP 200)\n"
        "  Opening a case for *Acme Corp*…\n"
    ), printed
    assert "to the response_url (replace_original, response_type=ephemeral):\n" in printed
    assert "  :white_check_mark: Opened case #1 for *Acme Corp*, owner @Alex Moreno" in printed
    assert "posted in #cases (ts " in printed, printed
    assert "  *Cancellation: Acme Corp (case #1)*\n" in printed
    assert "  *Stated reason*\n  >budget cut\n" in printed
    assert "(stopped watching" not in printed  # it stopped once the app had answered

    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"say: the app at http://127.0.0.1:{port} refused the signature (HTTP 401): the "
        "signing secret must be the app's SLACK_SIGNING_SECRET"
    ]
    logged = (tmp_path / "savedesk.log").read_text()
    assert " ERROR " not in logged, logged  # the answer went to a response_url that exists


def test_say_says_in_one_line_what_it_cannot_reach(standin: Printed, tmp_path: Path) -> None:
    port = free_port()  # nothing serves there
    env_file(tmp_path, standin, port)
    no_app = say(tmp_path, "/churn help")
    assert no_app.returncode == 1
    assert no_app.stderr.splitlines() == [
        f"say: cannot reach the app at http://127.0.0.1:{port} (Connection refused); is "
        "`python app.py` running there? (--app URL)"
    ]
    nowhere = f"http://127.0.0.1:{free_port()}"
    no_standin = say(tmp_path, "--standin", nowhere, "/churn help")
    assert no_standin.returncode == 1
    assert no_standin.stderr.splitlines() == [
        f"say: cannot reach the Slack stand-in at {nowhere} (Connection refused); start it "
        "with `python -m demo.standin` (--standin URL)"
    ]
    elsewhere = say(tmp_path, "--channel", "C0999XYZ", "/churn help")
    assert elsewhere.returncode == 1
    assert elsewhere.stderr.startswith("say: the stand-in has no channel C0999XYZ"), elsewhere


def test_check_against_the_standin_alone_flags_an_unknown_cases_channel(
    standin: Printed, tmp_path: Path
) -> None:
    workspace(tmp_path, standin, "C0999XYZ")
    eventually(lambda: "C0ESC=#escalations" in "".join(standin.lines))
    assert "C0CASES=#cases" in "".join(standin.lines)  # the demo's channels, and --channel's
    wrong = app(tmp_path, "check")
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert (
        "problem: channels.cases: Slack knows no channel C0999XYZ (channel_not_found)"
        in wrong.stdout
    ), wrong.stdout

    (tmp_path / "policy.toml").write_text('[channels]\ncases = "C0ESC"\n')  # --channel's
    right = app(tmp_path, "check")
    assert right.returncode == 0, right.stdout + right.stderr
    assert "check: OK" in right.stdout
