"""Where Savedesk listens (`HOST`, `PORT`), the demo's busy port answered at once, and a
`--help` that loads nothing it does not need (docs/cli.md; README, *Quick start*)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import PortInUse, bind_port, parse_args
from bot.runtime.settings import SettingsError, load_settings
from demo.standin import SlackStandin
from tests.e2e.test_process import free_port, stop, wait_healthy
from tests.setup.test_cli_failures import one_line, run_app

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
# 127.0.0.0/8 is all loopback on Linux, but a socket bound to 127.0.0.1 answers only there.
OTHER_LOOPBACK = "127.0.0.2"


def refuses(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((host, port)) != 0


@pytest.mark.parametrize(
    ("value", "host"),
    [(None, "0.0.0.0"), ("127.0.0.1", "127.0.0.1"), ("::", "::"), ("[::1]", "::1"),
     ("localhost", "localhost")],
)  # fmt: skip
def test_host_setting(value: str | None, host: str) -> None:
    env = SECRETS | ({"HOST": value} if value is not None else {})
    assert load_settings(env).host == host


@pytest.mark.parametrize("value", ["bad host", "10.0.0.256", "-lead.example"])
def test_a_malformed_host_is_named(value: str) -> None:
    with pytest.raises(SettingsError, match=r"^HOST: .* is not an address to listen on"):
        load_settings(SECRETS | {"HOST": value})


def test_bind_port_listens_only_where_host_says() -> None:
    only_here = bind_port(0, "127.0.0.1")
    everywhere = bind_port(0)
    with only_here, everywhere:
        here_port, all_port = only_here.getsockname()[1], everywhere.getsockname()[1]
        assert only_here.getsockname()[0] == "127.0.0.1"
        assert refuses(OTHER_LOOPBACK, here_port)
        assert not refuses(OTHER_LOOPBACK, all_port)
        with pytest.raises(PortInUse, match=f"PORT: {here_port} is already in use"):
            bind_port(here_port, "127.0.0.1")


def test_host_that_is_not_this_machine_is_named() -> None:
    with pytest.raises(Exception, match=r"^HOST: 192\.0\.2\.1 is not an address of this machine"):
        bind_port(0, "192.0.2.1")  # TEST-NET-1: documentation only, never assigned here


def test_web_binds_the_host_setting(tmp_path: Path) -> None:
    port = free_port()
    with SlackStandin() as standin:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "web"],
            cwd=tmp_path,
            env={
                "PATH": "/usr/bin:/bin",
                "HOME": str(tmp_path),
                **SECRETS,
                "SLACK_API_URL": standin.api_url,
                "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "CASE_WORK_PROCESSES": "0",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)["status"] == "ok"
            assert refuses(OTHER_LOOPBACK, port)
        finally:
            stop(proc)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def test_demo_on_a_busy_port_answers_at_once_with_a_free_port(
    tmp_path: Path, busy_port: int
) -> None:
    result = run_app(
        tmp_path, "demo", "--port", str(busy_port), "--no-browser", timeout=30,
        PYTHONPROFILEIMPORTTIME="1",  # each module imported, on stderr: what started
    )  # fmt: skip
    said = result.stderr.splitlines()
    imported = {line.rsplit("|", 1)[-1].strip() for line in said if line.startswith("import time:")}
    result.stderr = "".join(f"{line}\n" for line in said if not line.startswith("import time:"))
    line = one_line(result, f"demo: port {busy_port} is already in use")
    suggested = int(line.rsplit("--port ", 1)[1].rstrip("`"))
    assert suggested != busy_port and not refuses("127.0.0.1", busy_port)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", suggested))  # the suggestion is free
    assert "Savedesk demo:" not in result.stdout
    started = imported & {"demo.runtime", "sqlalchemy", "slack_bolt"}  # seconds of start-up
    assert not started, f"the demo started before binding: {sorted(started)} imported"


@pytest.mark.parametrize("typed", ["70000", "65536", "-1", "abc", "3000.5"])
def test_demo_refuses_a_port_that_is_not_one(
    typed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """70000 used to start the demo on 4464 (70000 - 65536); -1 blamed HOST."""
    with pytest.raises(SystemExit) as stopped:
        parse_args(["demo", "--port", typed])
    assert stopped.value.code == 2
    assert f"argument --port: '{typed}' is not a port number (1-65535)" in capsys.readouterr().err


def test_demo_port_zero_still_means_any_free_port() -> None:
    assert parse_args(["demo", "--port", "0"]).port == 0
    assert parse_args(["demo"]).port == 3000


HEAVY = ("sqlalchemy", "slack_sdk", "slack_bolt", "apscheduler", "matplotlib", "waitress")


@pytest.mark.parametrize(
    "args", [["--help"], ["check", "--help"], ["demo", "--help"], ["init", "--help"]]
)
def test_help_imports_nothing_a_command_needs(tmp_path: Path, args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(ROOT / "app.py"), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0 and "usage: app.py" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert not {m for m in imported if m.split(".")[0] in HEAVY}
