"""OAuth mode rehearsed against the stand-in alone, as docs/demo.md (*Rehearsing an OAuth
install*) tells a new user to: `python -m demo.standin` prints the client id and secret it
accepts, Savedesk runs with them and no bot token, and an admin's browser goes through
/slack/install, the stand-in's authorize page and /slack/oauth_redirect; then `check`
passes and a command opens a case."""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from demo.standin.sender import SlackSender
from storage.db import Database
from storage.models import Case
from tests.conftest import eventually
from tests.e2e.test_process import free_port, wait_healthy
from tests.oauth_app import LocalhostIsSecure

ROOT = Path(__file__).resolve().parents[2]
SECRET = "rehearsal-signing-secret"


class Printed:
    """A process's stdout lines, read as they come."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._proc = proc
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self.lines.append(line)

    def value(self, name: str) -> str:
        """The `NAME=value` the process printed."""
        found: list[str] = []

        def printed() -> bool:
            found[:] = re.findall(rf"\b{name}=(\S+)", "".join(self.lines))
            return bool(found)

        eventually(printed)
        return found[0]


def clean_env() -> dict[str, str]:
    """The shell of a new user who has not set Savedesk's variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}


def stop(proc: subprocess.Popen[str]) -> None:
    """Stop a process this test started (as a platform does, SIGTERM)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@contextmanager
def savedesk_running(folder: Path) -> Iterator[subprocess.Popen[str]]:
    """`python app.py` in `folder`, its log in `folder/savedesk.log`; stopped on leaving."""
    with (folder / "savedesk.log").open("w") as log_file:  # a pipe could fill and block it
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")],
            cwd=folder,
            env=clean_env(),
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            text=True,
        )
        try:
            yield proc
        finally:
            stop(proc)


@pytest.fixture
def savedesk_port() -> int:
    return free_port()


@pytest.fixture
def standin(savedesk_port: int) -> Iterator[Printed]:
    """Terminal 1: `python -m demo.standin`, told where Savedesk will serve (not on 3000)."""
    redirect = f"http://127.0.0.1:{savedesk_port}/slack/oauth_redirect"
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo.standin", "--port", "0", "--redirect-url", redirect],
        cwd=ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield Printed(proc)
    finally:
        stop(proc)


def app(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def browser() -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar(policy=LocalhostIsSecure())
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def test_an_oauth_install_rehearsed_against_the_standin_alone(
    standin: Printed, savedesk_port: int, tmp_path: Path
) -> None:
    client_id, client_secret = (
        standin.value("SLACK_CLIENT_ID"),
        standin.value("SLACK_CLIENT_SECRET"),
    )
    db_url = f"sqlite:///{tmp_path}/savedesk.db"
    (tmp_path / ".env").write_text(
        f"SLACK_CLIENT_ID={client_id}\nSLACK_CLIENT_SECRET={client_secret}\n"
        f"SLACK_SIGNING_SECRET={SECRET}\nSLACK_API_URL={standin.value('SLACK_API_URL')}\n"
        f"DATABASE_URL={db_url}\nPORT={savedesk_port}\n"
    )
    (tmp_path / "policy.toml").write_text('[channels]\ncases = "C0CASES"\n')
    (tmp_path / "accounts.csv").write_text(
        "external_id,name,arr,csm,account_owner\nacme,Acme Corp,84000,U0CSM,U0AE\n"
    )
    assert app(tmp_path, "migrate").returncode == 0
    assert app(tmp_path, "import", "accounts", "accounts.csv").returncode == 0
    before = app(tmp_path, "check")
    assert "problem: Slack: the app is not installed yet" in before.stdout, before.stdout

    base = f"http://127.0.0.1:{savedesk_port}"
    with savedesk_running(tmp_path) as proc:
        waiting = wait_healthy(f"{base}/healthz", proc)
        assert waiting["status"] == "ok"
        assert waiting["slack"] == "not installed yet; install at /slack/install"

        admin = browser()
        with admin.open(f"{base}/slack/install", timeout=10) as page:
            link = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.read().decode())
        assert link is not None and "redirect_uri" not in link.group(1)
        with admin.open(html.unescape(link.group(1)), timeout=10) as landed:
            assert landed.status == 200
            assert landed.url.startswith(f"{base}/slack/oauth_redirect")

        checked = app(tmp_path, "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "Slack: installed in workspace T0TEST" in checked.stdout

        answer = SlackSender(base, SECRET).slash_command("cancel acme budget cut")
        assert answer.status == 200, answer.text
        db = Database(db_url)
        try:

            def opened() -> list[Case]:
                with db.read() as session:
                    return list(session.scalars(select(Case)))

            eventually(lambda: len(opened()) == 1, timeout=30)
        finally:
            db.dispose()
    logged = (tmp_path / "savedesk.log").read_text()
    assert "Slack: not installed yet; install at /slack/install" in logged, logged
    assert "app_uninstalled" not in logged, logged
