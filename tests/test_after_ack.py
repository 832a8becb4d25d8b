"""Work after the acknowledgement runs on threads of its own: the caller never waits for
it, a failure is logged under a reference the person is told, and a normal stop finishes
what was queued."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.after_ack import AfterAck


def test_the_caller_does_not_wait_and_work_runs_elsewhere() -> None:
    queue = AfterAck(workers=1)
    gate, ran_in = threading.Event(), []
    caller = threading.current_thread()

    def work() -> None:
        assert gate.wait(5)
        ran_in.append(threading.current_thread())

    first = queue.submit(work)
    second = queue.submit(work)  # queued behind the first, on the one worker
    assert queue.pending == 2 and not first.done()
    gate.set()
    second.result(timeout=5)
    assert len(ran_in) == 2 and caller not in ran_in
    assert queue.pending == 0
    queue.shutdown()


def test_a_failure_is_logged_under_the_reference_the_person_gets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = AfterAck(workers=1)
    told: list[str] = []

    def broken() -> None:
        raise RuntimeError("the database went away")

    with caplog.at_level(logging.ERROR, logger="bot.after_ack"):
        queue.submit(broken, on_error=told.append).result(timeout=5)
    assert len(told) == 1 and len(told[0]) == 8
    assert told[0] in caplog.text and "the database went away" in caplog.text
    queue.submit(lambda: None).result(timeout=5)  # the worker survived
    queue.shutdown()


def test_shutdown_finishes_what_was_queued() -> None:
    queue = AfterAck(workers=2)
    done: list[int] = []
    for n in range(10):
        queue.submit(lambda n=n: done.append(n))
    queue.shutdown()
    assert sorted(done) == list(range(10))


def test_past_the_bound_the_caller_does_the_work() -> None:
    queue = AfterAck(workers=1, max_pending=1)
    gate, ran_in = threading.Event(), []
    queue.submit(lambda: gate.wait(5))  # holds the one worker: the queue is full
    queue.submit(lambda: ran_in.append(threading.current_thread())).result(timeout=5)
    assert ran_in == [threading.current_thread()]
    gate.set()
    queue.shutdown()
    assert queue.pending == 0
