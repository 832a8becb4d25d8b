"""What an admin sees is true: no untrue Bolt warnings, placeholders refused by name,
refused requests logged without their body, local files ignored by git."""

from __future__ import annotations

import fnmatch
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.runtime.settings import SettingsError, load_settings
from demo.standin import SlackStandin
from demo.standin.sender import SlackSender
from handlers.bolt_logs import refusal_reason
from tests.conftest import RunningApp
from tests.e2e.test_process import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
SECRET = "startup-signing-secret"
CUSTOMER_WORDS = "Baker & Sons want to cancel, contact jane.doe@baker.example"


def test_example_env_file_is_refused_naming_the_setting(tmp_path: Path) -> None:
    """Starting refuses the example value in one line; `check` lists it as a problem under
    its full summary, as it does a missing token."""
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")

    def run(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(ROOT / "app.py"), command],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )

    said = (
        "SLACK_BOT_TOKEN still holds the example value 'xoxb-your-bot-token': replace"
        " it with the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions"
    )
    result = run("migrate")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"savedesk: {said}"
    result = run("check")
    assert result.returncode == 1, result.stderr
    assert f"problem: {said}\n" in result.stdout and "Policy: " in result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLACK_SIGNING_SECRET", "your-signing-secret"),
        ("SLACK_APP_TOKEN", "xapp-your-app-token"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_..."),
        ("SIGNALS_WEBHOOK_SECRET", "a-long-random-string"),
        ("SLACK_BOT_TOKEN", "xoxb-…"),
    ],
)
def test_every_secret_placeholder_is_refused(name: str, value: str) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "8f14e45fceea", name: value}
    with pytest.raises(SettingsError, match=rf"^{name} still holds the example value"):
        load_settings(env)


def test_real_looking_values_pass() -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1234-5678-AbCdEfYourGh",
        "SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543",
        "SIGNALS_WEBHOOK_SECRET": "b7c1-your3-ok",
    }
    assert load_settings(env).slack_bot_token == env["SLACK_BOT_TOKEN"]


def test_start_up_log_is_true_and_a_refused_request_leaves_no_body(
    tmp_path: Path, standin: SlackStandin, db_url: str
) -> None:
    port = free_port()
    (tmp_path / ".env").write_text(
        f"SLACK_BOT_TOKEN=xoxb-startup\nSLACK_SIGNING_SECRET={SECRET}\n"
        f"SLACK_API_URL={standin.api_url}\nDATABASE_URL={db_url}\nPORT={port}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "web"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base + "/healthz", proc)
        forged = SlackSender(base, "not-the-secret")
        assert forged.slash_command(f"cancel {CUSTOMER_WORDS}").status == 401
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert "will be unused" not in stderr and "will be ignored" not in stderr, stderr
    assert "Savedesk listening on port" in stderr
    assert "refused a request on /slack/events: the signature does not match" in stderr
    assert "Baker" not in stderr and "jane.doe" not in stderr, stderr


def test_stale_request_is_logged_with_its_reason_only(
    running_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    stale = SlackSender(running_app.base_url, "test-signing-secret", clock=lambda: 1_000_000)
    assert stale.slash_command(f"cancel {CUSTOMER_WORDS}").status == 401
    refused = [r for r in caplog.records if r.name == "slack_bolt.RequestVerification"]
    assert len(refused) == 1
    message = refused[0].getMessage()
    assert message.startswith("refused a request on /slack/events: X-Slack-Request-Timestamp is ")
    age = int(message.split(" is ")[1].split(" s off")[0])
    assert abs(age - (time.time() - 1_000_000)) < 60
    assert message.endswith("s off (over 5 minutes)")
    assert refused[0].levelname == "WARNING"
    assert "Baker" not in caplog.text


@pytest.mark.parametrize(
    ("signature", "timestamp", "expected"),
    [
        ("", "100", "no X-Slack-Signature header"),
        ("v0=ab", "0", "missing or not a Unix time"),
        ("v0=ab", "soon", "missing or not a Unix time"),
        ("v0=ab", "100", "does not match"),
    ],
)
def test_refusal_reasons(signature: str, timestamp: str, expected: str) -> None:
    assert expected in refusal_reason(signature, timestamp, now=150.0)


@pytest.mark.parametrize(
    "name", ["savedesk.db-wal", "savedesk.db-shm", "savedesk.db.scheduler.lock", ".env"]
)
def test_local_runtime_files_are_ignored_by_git(name: str) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert any(fnmatch.fnmatch(name, p) for p in patterns), name
