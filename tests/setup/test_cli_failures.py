"""No traceback from any command: every way a run can fail is one line and an exit code.

Paths found by running each `app.py` command against what goes wrong in the field: a busy
port, an unreachable or broken database, malformed URLs, Socket Mode refused, Ctrl-C."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import app as app_module
from demo.standin import SlackStandin
from tests.pg_cluster import free_port

ROOT = Path(__file__).resolve().parents[2]
PG_DOWN = "postgresql+psycopg://postgres@127.0.0.1:1/savedesk"


def run_app(
    tmp_path: Path, *args: str, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess:
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        cwd=tmp_path,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line(result: subprocess.CompletedProcess, expected: str, code: int = 2) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("savedesk: ") and expected in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("0.0.0.0", 0))
        held.listen()
        yield held.getsockname()[1]


def test_second_app_on_a_port_in_use(tmp_path: Path, busy_port: int) -> None:
    with SlackStandin() as standin:
        result = run_app(tmp_path, "web", PORT=str(busy_port), SLACK_API_URL=standin.api_url)
    line = one_line(result, f"PORT: {busy_port} is already in use")
    assert "set PORT to a free port" in line
    assert "listening" not in result.stderr + result.stdout


def test_main_job_on_a_port_in_use_stops_before_the_scheduler(
    tmp_path: Path, busy_port: int
) -> None:
    result = run_app(tmp_path, PORT=str(busy_port), timeout=30)
    one_line(result, "is already in use")
    assert "scheduler" not in result.stderr


@pytest.mark.parametrize("command", [["migrate"], ["tick"], ["import", "accounts", "a.csv"]])
def test_postgresql_unreachable(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "a.csv").write_text("external_id,name\na,A\n")
    result = run_app(tmp_path, *command, DATABASE_URL=PG_DOWN)
    one_line(result, "DATABASE_URL: ")
    assert "Connection refused" in result.stderr or "connection failed" in result.stderr


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "junk.db").write_text("these are notes, not a database\n" * 50)
    result = run_app(tmp_path, "tick", DATABASE_URL=f"sqlite:///{tmp_path}/junk.db")
    one_line(result, "file is not a database")


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/junk.db", PG_DOWN])
def test_check_counts_a_database_it_cannot_use_as_a_problem(tmp_path: Path, url: str) -> None:
    """`check --help` keeps exit 2 for a malformed setting or policy: a database that does
    not answer, or is not one, is one of its problems (exit 1), under the full summary."""
    (tmp_path / "junk.db").write_text("these are notes, not a database\n" * 50)
    result = run_app(tmp_path, "check", DATABASE_URL=url.format(tmp=tmp_path))
    assert result.returncode == 1 and result.stderr == "", result.stderr
    said = [x for x in result.stdout.splitlines() if x.startswith("problem: DATABASE_URL: ")]
    assert len(said) == 1 and "Policy: " in result.stdout
    assert any(why in said[0] for why in ("file is not a database", "Connection refused"))


def test_database_url_with_a_port_that_is_not_a_number(tmp_path: Path) -> None:
    result = run_app(tmp_path, "check", DATABASE_URL="postgresql+psycopg://u@db:fivefour/x")
    one_line(result, "DATABASE_URL: not a database URL")


def test_socket_mode_refused_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    with SlackStandin() as standin:
        result = run_app(
            tmp_path, "web", SLACK_API_URL=standin.api_url, SLACK_APP_TOKEN="xapp-1-test", PORT=port
        )
    assert "Traceback" not in result.stderr and result.returncode == 2, result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("savedesk: SLACK_APP_TOKEN: Slack refused Socket Mode")
    )


def test_ctrl_c_during_import_says_so_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(_args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(app_module, "run", interrupted)
    assert app_module.main(["import", "accounts", "a.csv"]) == 130
    assert capsys.readouterr().err == (
        "savedesk: interrupted (rows saved so far are kept; importing again is safe)\n"
    )
    assert app_module.main(["tick"]) == 130
    assert app_module.main(["web"]) == 0, "Ctrl-C is how a foreground server stops"


def test_anything_unexpected_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_args: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app_module, "run", broken)
    assert app_module.main(["tick"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("savedesk: unexpected error: RuntimeError: disk on fire")
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["demo", "check"])
def test_without_the_requirements_one_line_says_to_install_them(
    tmp_path: Path, command: str
) -> None:
    """`python3 app.py demo` outside the venv: `-S` leaves site-packages (the venv's
    requirements) off the path, as a Python without them would."""
    port = ["--port", str(free_port())] if command == "demo" else []  # 3000 may be taken
    result = subprocess.run(
        [sys.executable, "-S", str(ROOT / "app.py"), command, *port],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("savedesk: the requirements are not installed for ")
    assert "`python3 -m venv .venv && .venv/bin/pip install -r requirements.txt`" in line
