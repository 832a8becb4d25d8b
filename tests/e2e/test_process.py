"""`python app.py` as a real process: starts, answers signed Slack requests, serves health."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.runtime.services import Services
from demo.standin import SlackStandin
from demo.standin.sender import SlackSender
from storage.models import Case, DeliveryPause, OutboxMessage
from tests.conftest import seed_account

ROOT = Path(__file__).resolve().parents[2]
SECRET = "process-signing-secret"
SIGNALS_SECRET = "process-signals-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[str], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                return json.loads(resp.read())
        except OSError:
            time.sleep(0.05)
    raise AssertionError("app did not become healthy")


def start(
    tmp_path: Path, standin: SlackStandin, db_url: str, *, own_group: bool = False
) -> tuple[str, subprocess.Popen[str]]:
    """`python app.py` (web + scheduler) configured by a `.env`, healthy; (base URL, process).
    `own_group`: in a process group of its own, as a dyno or a terminal runs it."""
    port = free_port()
    (tmp_path / ".env").write_text(
        f"SLACK_BOT_TOKEN=xoxb-process\nSLACK_SIGNING_SECRET={SECRET}\n"
        f"SLACK_API_URL={standin.api_url}\nDATABASE_URL={db_url}\nPORT={port}\n"
        f"SIGNALS_WEBHOOK_SECRET={SIGNALS_SECRET}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=own_group,
    )
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base + "/healthz", proc)
    return base, proc


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def app_process(
    tmp_path: Path, standin: SlackStandin, db_url: str
) -> Iterator[tuple[str, SlackStandin]]:
    base, proc = start(tmp_path, standin, db_url)
    try:
        yield base, standin
    finally:
        stop(proc)


def test_app_serves_help_rejects_unsigned_and_is_healthy(
    app_process: tuple[str, SlackStandin],
) -> None:
    base, standin = app_process
    sender = SlackSender(base, SECRET, response_url_factory=standin.new_response_url)
    help_response = sender.slash_command("help")
    assert help_response.status == 200
    assert "/churn cancel" in help_response.json()["text"]

    body = b"command=%2Fchurn&text=help"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert sender.post("/slack/events", body, form).status == 401
    stale = {**sender.sign(body, int(time.time()) - 3600), **form}
    assert sender.post("/slack/events", body, stale).status == 401
    assert standin.calls("auth.test"), "start-up verifies the token"


def test_a_command_is_opened_by_the_worker_process_and_its_root_delivered_at_once(
    app_process: tuple[str, SlackStandin], services: Services
) -> None:
    """`python app.py` runs a worker process beside its web server: the command's job is
    opened there, and its root delivered."""
    base, standin = app_process
    seed_account(services, "acme-42", "Acme Process")
    sender = SlackSender(base, SECRET, response_url_factory=standin.new_response_url)
    answer = sender.slash_command("cancel acme-42 budget cut")
    assert answer.status == 200
    assert "Opening a case" in answer.json()["text"]
    deadline = time.monotonic() + 60  # bounds a failure only: a loaded machine takes seconds
    while time.monotonic() < deadline:
        roots = [m for m in standin.messages() if "Acme Process" in json.dumps(m)]
        if roots:
            break
        time.sleep(0.02)
    assert roots, "the case thread's root was posted"
    with services.db.read() as session:
        cases = session.scalars(select(Case)).all()
    assert [(c.kind, c.created_by) for c in cases] == [("cancellation", "U0CSM")]


def children(pid: int) -> list[int]:
    """The processes `pid` started (Linux: /proc/<pid>/task/<tid>/children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def wait_for(what: object, timeout: float = 20) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := what():  # type: ignore[operator]
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_the_worker_runs_jobs_in_a_job_process_started_again_when_killed(
    tmp_path: Path, standin: SlackStandin, db_url: str, services: Services
) -> None:
    """`python app.py` → its worker → a job process (`app.py jobs`, JOB_PROCESSES=1): the
    job process is killed outright, a new one is started, and a command is still opened."""
    base, proc = start(tmp_path, standin, db_url)
    try:
        worker = wait_for(lambda: children(proc.pid))[0]  # type: ignore[index]
        first = wait_for(lambda: children(worker))[0]  # type: ignore[index]
        # a child's command line is its parent's until it has exec'd: wait for `jobs`
        assert wait_for(lambda: _command(first) == b"jobs"), _command(first)
        os.kill(first, signal.SIGKILL)
        again = wait_for(lambda: [c for c in children(worker) if c != first])[0]  # type: ignore[index]
        assert again != first
        seed_account(services, "acme-43", "Acme Again")
        sender = SlackSender(base, SECRET, response_url_factory=standin.new_response_url)
        assert "Opening a case" in sender.slash_command("cancel acme-43 budget").json()["text"]
        wait_for(lambda: [m for m in standin.messages() if "Acme Again" in json.dumps(m)])
    finally:
        stop(proc)
    assert wait_for(lambda: proc.poll() is not None, 10)
    for pid in (worker, again):
        assert wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists() or _zombie(pid), 10)


def _command(pid: int) -> bytes:
    """The last word of the process's command line (b"" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[-2]
    except (OSError, IndexError):
        return b""


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_the_signals_webhook_answers_with_the_case_it_opened(
    app_process: tuple[str, SlackStandin], services: Services
) -> None:
    """The webhook's answer carries the case id: the case is committed before it answers."""
    base, _standin = app_process
    sender = SlackSender(base, SECRET)
    body = {"account": "crm-9", "kind": "usage_drop", "summary": "usage down", "external_id": "x1"}
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    mac = hmac.new(SIGNALS_SECRET.encode(), f"v0:{stamp}:".encode() + raw, hashlib.sha256)
    headers = {
        "Content-Type": "application/json",
        "X-Savedesk-Request-Timestamp": stamp,
        "X-Savedesk-Signature": f"v0={mac.hexdigest()}",
    }
    first = sender.post("/webhooks/signals", raw, headers)
    again = sender.post("/webhooks/signals", raw, headers)
    assert (first.status, again.status) == (201, 200)
    assert first.json()["case_id"] == again.json()["case_id"]
    with services.db.read() as session:
        case_ids = session.scalars(select(Case.id)).all()
    assert case_ids == [first.json()["case_id"]]


def test_sigterm_to_the_whole_group_twice_still_opens_every_acknowledged_case(
    tmp_path: Path, standin: SlackStandin, db_url: str, services: Services, clock: FakeClock
) -> None:
    """A dyno or systemd stops every process of the group, and people press Ctrl-C twice:
    every acknowledged command is a committed job, opened by the worker before it exits or
    by the next one (here: a tick after the stop)."""
    count = 24
    for i in range(count):
        seed_account(services, f"grp-{i}", f"Group Account {i}")
    base, proc = start(tmp_path, standin, db_url, own_group=True)
    try:
        sender = SlackSender(base, SECRET, response_url_factory=standin.new_response_url)
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(
                pool.map(lambda i: sender.slash_command(f"cancel grp-{i} leaving"), range(count))
            )
        assert all("Opening a case" in a.json()["text"] for a in answers)
        os.killpg(proc.pid, signal.SIGTERM)
        time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    clock.set(datetime.now(UTC))  # the jobs were written on the real clock
    services.run_jobs()  # what the next worker would do with any job not yet run
    with services.db.read() as session:
        opened = session.scalars(select(Case.id)).all()
    assert len(opened) == count, "every acknowledged command has its case"


def run_tick(
    tmp_path: Path, standin: SlackStandin, db_url: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": "xoxb-process",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": standin.api_url,
        "DATABASE_URL": db_url,
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "tick"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_tick_exits_0_while_slack_is_down_and_delivers_later(
    tmp_path: Path, services: Services, standin: SlackStandin, db_url: str, clock: FakeClock
) -> None:
    clock.set(datetime.now(UTC))  # the tick process runs on the real clock
    account = seed_account(services, "acme", "Acme Corp")
    services.cases.open(account, Signal(kind="cancellation", source="test"))
    standin.set_down(True)
    down = run_tick(tmp_path, standin, db_url)
    assert down.returncode == 0, down.stderr
    assert "delivered 0" in down.stdout and "retrying 1" in down.stdout
    standin.set_down(False)
    with services.db.session() as session:  # the retry is due now, as if time had passed
        session.execute(update(OutboxMessage).values(next_attempt_at=services.clock.now()))
        # and so is the end of the workspace pause Slack's outage began (docs/slack.md, *When Slack
        # says no*): the next pass tries again
        session.execute(update(DeliveryPause).values(until=services.clock.now()))
    up = run_tick(tmp_path, standin, db_url)
    assert up.returncode == 0 and "delivered" in up.stdout
    assert "Acme Corp" in standin.messages("C0CASES")[0]["text"]
