"""The CLI as an operator runs it: one clear line and exit code 2 for every config mistake."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command

from storage import outbox as outbox_rows
from storage import steps as step_rows
from storage.db import Database, alembic_config

ROOT = Path(__file__).resolve().parents[2]


def run_app(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python app.py` in an empty directory with exactly the given environment."""
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        cwd=tmp_path,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-test",
    "SLACK_SIGNING_SECRET": "secret",
    "SLACK_API_URL": "http://127.0.0.1:9/api/",
}


def assert_one_line_config_error(result: subprocess.CompletedProcess[str], names: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert names in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_bot_token(tmp_path: Path) -> None:
    result = run_app(tmp_path, "tick", SLACK_SIGNING_SECRET="x")
    assert_one_line_config_error(result, "SLACK_BOT_TOKEN is required")


def test_malformed_database_url(tmp_path: Path) -> None:
    result = run_app(tmp_path, "check", **GOOD, DATABASE_URL="nonsense")
    assert_one_line_config_error(result, "DATABASE_URL")


def test_unreachable_database_names_the_variable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no/such/dir/x.db"
    result = run_app(tmp_path, "migrate", **GOOD, DATABASE_URL=url)
    assert_one_line_config_error(result, "DATABASE_URL: cannot use the database")


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ('[escalation]\nacknowledge_within = "4x"\n', 'escalation.acknowledge_within: "4x"'),
        ("escalaton = 1\n", "escalaton: unknown key"),
        ('[[routing]]\nowner = "ceo"\n', 'routing[0].owner: "ceo" is not an owner'),
        ('[roles]\nmanagers = ["bob"]\n', 'roles.managers[0]: "bob" is not a person'),
        ("timezone = \n", "policy.toml: line 1"),
    ],
)
def test_policy_mistakes(tmp_path: Path, policy: str, expected: str) -> None:
    (tmp_path / "policy.toml").write_text(policy)
    result = run_app(tmp_path, "check", **GOOD, DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert_one_line_config_error(result, expected)
    assert result.stderr.startswith("savedesk: policy.toml: ")


def test_env_file_is_read_and_real_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\nPORT=notaport\n")
    result = run_app(tmp_path, "check", SLACK_SIGNING_SECRET="x")
    assert_one_line_config_error(result, "PORT: 'notaport'")
    result = run_app(tmp_path, "check", SLACK_SIGNING_SECRET="x", PORT="4000")
    assert "HTTP port: 4000" in result.stdout


def test_check_summarizes_defaults_without_policy_file(tmp_path: Path) -> None:
    result = run_app(tmp_path, "check", **GOOD, DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert "built-in defaults" in result.stdout
    assert "xoxb-test" not in result.stdout + result.stderr


def test_check_example_policy(tmp_path: Path) -> None:
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = run_app(tmp_path, "check", **env, POLICY_FILE=str(ROOT / "policy.example.toml"))
    assert "payment_failed" in result.stdout


def test_migrate_then_tick_with_nothing_due(tmp_path: Path) -> None:
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    assert run_app(tmp_path, "migrate", **env).returncode == 0
    result = run_app(tmp_path, "tick", **env)
    assert result.returncode == 0, result.stderr
    assert "delivered 0" in result.stdout


def test_check_lists_failed_messages_and_steps(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    db = Database(url)
    db.migrate()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as session:
        row = outbox_rows.add(
            session, method="chat.postMessage", channel="C0GONE", payload={"text": "x"}, now=now
        )
        row.state, row.last_error = "failed", "channel_not_found"
        step_rows.schedule(session, key="case:1:x", kind="x", due_at=now, now=now)
    with db.session() as session:
        claimed = step_rows.claim_due(session, now=now, limit=1, lease=timedelta(minutes=1))
        step_rows.fail(session, claimed[0].id, now=now, error="boom")
    result = run_app(tmp_path, "check", **GOOD, DATABASE_URL=url)
    assert result.returncode == 1
    assert "channel_not_found" in result.stdout and "case:1:x failed: boom" in result.stdout


def test_migrate_says_whether_it_created_upgraded_or_found_the_schema(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fresh.db'}"
    created = run_app(tmp_path, "migrate", **GOOD, DATABASE_URL=db)
    assert created.returncode == 0 and "database schema created (revision" in created.stdout
    again = run_app(tmp_path, "migrate", **GOOD, DATABASE_URL=db)
    assert again.returncode == 0 and "(up to date)" in again.stdout
    older = Database(db)
    head = older.revision()
    with older.engine.begin() as conn:  # the release before this one
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")
    previous = older.revision()
    older.dispose()
    upgraded = run_app(tmp_path, "migrate", **GOOD, DATABASE_URL=db)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"upgraded from revision {previous} to {head}" in upgraded.stdout
