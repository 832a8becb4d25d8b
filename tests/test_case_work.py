"""Case work in processes of its own (bot.case_work): jobs run in another, lower-priority
process with that process's services; errors come back as log references; the web
process is told when each job ends (to wake its deliverer)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from bot.after_ack import AfterAck
from bot.case_work import NICE, CaseWorkers, pids


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


def test_a_killed_case_work_process_is_replaced(queue: AfterAck, tmp_path: Path) -> None:
    queue.call(write_pid, None, "before").result(timeout=30)
    workers = queue._processes
    assert workers is not None
    for pid in pids(workers):
        os.kill(pid, signal.SIGKILL)
    told: list[str] = []
    lost = queue.call(write_pid, None, "lost", on_error=told.append)
    try:
        lost.result(timeout=30)
    except Exception:
        until(lambda: told)  # the person is told (ephemerally) under a reference
    queue.call(write_pid, None, "after").result(timeout=60)
    assert (tmp_path / "after").exists()
