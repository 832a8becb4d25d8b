"""Wake the deliverer on commit: a unit of work that queued messages starts a delivery pass at
once (in this process directly, across processes through PostgreSQL's LISTEN/NOTIFY),
while the one-second poll stays as the safety net and Slack's slow-downs keep their pace."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot import outbox
from bot.cases.models import Signal
from bot.outbox import DeliveryReport
from bot.policy import Policy
from bot.runtime import scheduler as scheduler_module
from bot.runtime.delivery_loop import DeliveryLoop
from bot.runtime.scheduler import Scheduler
from bot.runtime.services import Services
from bot.runtime.settings import Settings
from demo.standin import SlackStandin
from storage.db import OUTBOX_CHANNEL, Database
from storage.notify import Listener
from tests.conftest import PG_URL, seed_account, unpaced
from wiring import build_services

SHORT = 0.05  # seconds: how long "did not happen" is watched for
SOON = 20.0  # seconds: how long what is due is waited for (a loaded machine; the poll is 60 s)


def queue(db: Database, services: Services, text: str = "hello") -> None:
    with db.session() as session:
        outbox.post(session, services.clock.now(), "C0CASES", text)


def test_a_commit_that_queued_messages_calls_back_after_commit_only(services: Services) -> None:
    calls: list[str] = []
    unsubscribe = services.db.on_outbox_commit(lambda: calls.append("woken"))
    with services.db.session() as session:
        outbox.post(session, services.clock.now(), "C0CASES", "one")
        outbox.post(session, services.clock.now(), "C0CASES", "two")
        assert calls == [], "not before the rows are committed"
    assert calls == ["woken"], "once per unit of work"

    with services.db.session():
        pass  # nothing queued
    with pytest.raises(RuntimeError), services.db.session() as session:
        outbox.post(session, services.clock.now(), "C0CASES", "rolled back")
        raise RuntimeError("the unit of work fails")
    with services.db.session():
        pass  # a later commit of the same kind of session does not inherit the flag
    assert calls == ["woken"]

    unsubscribe()
    queue(services.db, services)
    assert calls == ["woken"]


class GatedDeliverer:
    """A deliver() that reports each pass and can be held inside one."""

    def __init__(self, stopped: str | None = None) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        self.release.set()
        self.stopped = stopped

    def __call__(self) -> DeliveryReport:
        self.started.release()
        assert self.release.wait(60)
        return DeliveryReport(stopped=self.stopped)


@pytest.fixture
def loop_of() -> Iterator:
    loops: list[tuple[DeliveryLoop, threading.Thread]] = []

    def start(deliver: GatedDeliverer, poll: float = 60.0) -> DeliveryLoop:
        loop = DeliveryLoop(deliver, poll)
        thread = threading.Thread(target=loop.run, daemon=True)
        thread.start()
        loops.append((loop, thread))
        return loop

    yield start
    for loop, thread in loops:
        loop.stop()
        thread.join(SOON)
        assert not thread.is_alive()


def test_a_wake_runs_a_pass_at_once_and_wakes_during_a_pass_are_kept(loop_of) -> None:
    deliver = GatedDeliverer()
    loop = loop_of(deliver)  # a 60 s poll: only wake-ups can start passes here
    assert not deliver.started.acquire(timeout=SHORT)

    loop.wake()
    assert deliver.started.acquire(timeout=SOON)
    deliver.release.clear()
    loop.wake()
    assert deliver.started.acquire(timeout=SOON)  # held inside this pass
    loop.wake()  # a commit while the pass runs
    loop.wake()
    deliver.release.set()
    assert deliver.started.acquire(timeout=SOON), "the wake during the pass is not lost"
    assert not deliver.started.acquire(timeout=SHORT), "wakes during one pass make one more"
    assert loop.passes == 3


def test_the_poll_still_runs_without_wakes(loop_of) -> None:
    deliver = GatedDeliverer()
    loop_of(deliver, poll=0.01)
    for _ in range(3):
        assert deliver.started.acquire(timeout=SOON)


def test_after_slack_says_slow_down_wakes_wait_for_the_poll(loop_of) -> None:
    deliver = GatedDeliverer(stopped="ratelimited")
    loop = loop_of(deliver)
    loop.wake()
    assert deliver.started.acquire(timeout=SOON)
    loop.wake()
    loop.wake()
    assert not deliver.started.acquire(timeout=SHORT), "a burst of commits must not hammer Slack"


@pytest.fixture
def slow_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 60 s delivery poll: anything delivered within the test was woken."""
    monkeypatch.setattr(scheduler_module, "DELIVER_EVERY_SECONDS", 60)


@contextmanager
def scheduling(services: Services) -> Iterator[Scheduler]:
    """The worker's jobs, as `run_with_lock` runs them once it holds the lock."""
    scheduler = Scheduler(services)
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown()


def test_in_one_process_a_new_case_root_is_posted_without_waiting_for_the_poll(
    slow_poll: None, services: Services, standin: SlackStandin
) -> None:
    account = seed_account(services, "acme", "Acme")
    with scheduling(services):
        services.cases.open(account, Signal(kind="cancellation", source="test"))
        roots = standin.wait_for_calls("chat.postMessage", timeout=SOON)
        assert roots[0].args["channel"] == "C0CASES"


@pytest.mark.skipif(not PG_URL, reason="LISTEN/NOTIFY needs PostgreSQL (TEST_DATABASE_URL)")
def test_across_processes_notify_wakes_the_worker(
    slow_poll: None,
    settings: Settings,
    policy: Policy,
    services: Services,
    standin: SlackStandin,
) -> None:
    """`app.py web` and `app.py worker`: separate engines, the worker hears the commit."""
    worker = unpaced(build_services(settings, policy, services.clock))
    try:
        with scheduling(worker) as scheduler:
            assert scheduler.listener is not None
            assert scheduler.listener.listening.wait(SOON)
            queue(services.db, services, "from the web process")
            call = standin.wait_for_calls("chat.postMessage", timeout=SOON)[0]
            assert call.args["text"] == "from the web process"
    finally:
        worker.db.dispose()


@pytest.mark.skipif(not PG_URL, reason="LISTEN/NOTIFY needs PostgreSQL (TEST_DATABASE_URL)")
def test_listener_hears_its_schema_commits_only_and_never_rollbacks(
    settings: Settings, services: Services
) -> None:
    other = Database(settings.database_url)
    woken, stop = threading.Event(), threading.Event()
    listener = Listener(other, {OUTBOX_CHANNEL: woken.set}, stop, check_every=0.01)
    thread = threading.Thread(target=listener.run, daemon=True)
    thread.start()
    try:
        assert listener.listening.wait(SOON)
        with pytest.raises(RuntimeError), services.db.session() as session:
            outbox.post(session, services.clock.now(), "C0CASES", "rolled back")
            raise RuntimeError("the unit of work fails")
        with services.db.session():
            pass
        assert not woken.wait(SHORT)
        queue(services.db, services)
        assert woken.wait(SOON)
    finally:
        stop.set()
        thread.join(SOON)
        other.dispose()
