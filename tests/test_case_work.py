"""Case work in processes of its own (bot.case_work): jobs run in another, lower-priority
process with that process's services; errors come back as log references; the web
process is told when each job ends (to wake its deliverer)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from bot.after_ack import AfterAck
from bot.case_work import NICE, CaseWorkers, pids

ROOT = Path(__file__).resolve().parent.parent


def build_services(directory: str) -> dict[str, str]:
    """What a case-work process builds at start (here: a stand-in for Services)."""
    return {"dir": directory, "pid": str(os.getpid())}


def write_pid(services: dict[str, str], name: str) -> None:
    Path(services["dir"], name).write_text(f"{os.getpid()} {services['pid']}")


def fail(services: dict[str, str]) -> None:
    raise RuntimeError("the database went away")


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[AfterAck]:
    workers = CaseWorkers(1, partial(build_services, str(tmp_path)))
    workers.warm()
    queue = AfterAck(workers=1)
    queue.use_processes(workers)
    yield queue
    queue.shutdown()


def until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


def test_a_job_runs_in_another_process_with_its_services_at_lower_priority(
    queue: AfterAck, tmp_path: Path
) -> None:
    ended: list[int] = []
    queue.finished.append(lambda: ended.append(1))
    queue.call(write_pid, "unused in the process", "first").result(timeout=30)
    pid, built_in = (int(p) for p in (tmp_path / "first").read_text().split())
    assert pid != os.getpid()
    assert built_in == pid, "the job got the services its own process built"
    assert os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) + NICE
    until(lambda: ended)
    assert ended == [1]
    until(lambda: queue.pending == 0)
    assert queue.pending == 0


def test_a_failed_job_is_reported_by_reference(queue: AfterAck) -> None:
    told: list[str] = []
    reference = queue.call(fail, None, on_error=told.append).result(timeout=30)
    until(lambda: told)
    assert told == [reference] and len(reference) == 8
    queue.call(write_pid, None, "after").result(timeout=30)  # the process lives on


def test_without_processes_a_job_runs_on_threads_with_these_services(tmp_path: Path) -> None:
    queue = AfterAck(workers=1)
    services = {"dir": str(tmp_path), "pid": str(os.getpid())}
    queue.call(write_pid, services, "here").result(timeout=10)
    queue.shutdown()
    assert (tmp_path / "here").read_text() == f"{os.getpid()} {os.getpid()}"


def test_jobs_lost_with_a_killed_case_work_process_run_again(
    queue: AfterAck, tmp_path: Path
) -> None:
    queue.call(write_pid, None, "before").result(timeout=30)
    workers = queue._processes
    assert workers is not None
    for pid in pids(workers):
        os.kill(pid, signal.SIGKILL)
    told: list[str] = []
    queue.call(write_pid, None, "queued when it died", on_error=told.append)
    until(lambda: (tmp_path / "queued when it died").exists(), timeout=60)
    assert (tmp_path / "queued when it died").exists(), "run again in the new processes"
    queue.call(write_pid, None, "after").result(timeout=60)
    assert (tmp_path / "after").exists()
    assert told == []


def sleep_then_pid(services: object, seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_an_answer_does_not_wait_behind_queued_work_nor_for_what_cannot_be_sent(
    queue: AfterAck,
) -> None:
    assert queue.answer(sleep_then_pid, None, 0) != os.getpid(), "idle: in the process"
    busy = queue.call(sleep_then_pid, None, 2)
    started = time.monotonic()
    assert queue.answer(sleep_then_pid, None, 0) == os.getpid(), "busy: here, at once"
    assert time.monotonic() - started < 1
    busy.result(timeout=30)
    until(lambda: queue.pending == 0)
    deep: list = []
    for _ in range(5000):  # a webhook's details nested too deep for pickle
        deep = [deep]
    assert queue.answer(pid_of, None, deep) == os.getpid(), "cannot be sent: here"


def pid_of(services: object, value: object) -> int:
    return os.getpid()


CHILD = """
import os, sys, time
from functools import partial
from bot.case_work import CaseWorkers, pids
from tests.test_case_work import build_services
workers = CaseWorkers(2, partial(build_services, sys.argv[1]))
workers.warm()
print(" ".join(str(p) for p in pids(workers)), flush=True)
time.sleep(60)
"""


def test_case_work_processes_ignore_group_signals_and_end_with_the_web_process(
    tmp_path: Path,
) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert parent.stdout is not None
        children = [int(p) for p in parent.stdout.readline().split()]
        assert len(children) == 2
        for child in children:  # what a terminal's Ctrl-C or a dyno's SIGTERM sends them
            os.kill(child, signal.SIGTERM)
            os.kill(child, signal.SIGINT)
        time.sleep(0.2)
        assert all(alive(child) for child in children), "stopping is the web process's call"
        parent.kill()  # killed outright: it cannot tell them
        parent.wait(timeout=10)
        until(lambda: not any(alive(child) for child in children), timeout=10)
        assert not any(alive(child) for child in children), "no orphan waits forever"
    finally:
        if parent.poll() is None:
            parent.kill()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"
