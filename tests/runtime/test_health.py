"""`/healthz` says why this process cannot do its job; bodies over the limit are refused
before they are read; a database that cannot be reached is a clear answer, never a 500."""

from __future__ import annotations

import json
import threading
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from bot import outbox
from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.common.vocab import OutboxState
from bot.runtime.checkup import DELIVERY_STALLED, JOBS_STALLED, NO_PROGRESS, STARTING, assess
from bot.runtime.scheduler import SCHEDULER_BEAT, run_with_lock
from bot.runtime.services import Services
from bot.signals.jobs import queue_open
from handlers.web import MAX_BODY_BYTES
from storage import jobs as job_rows
from storage.locks import SchedulerLock
from storage.models import OutboxMessage
from tests.conftest import RunningApp, eventually, seed_account
from tests.edges.test_app_http import get


def healthz(app: RunningApp) -> tuple[int, dict]:
    return get(app.base_url + "/healthz")


def started_long_ago(services: Services) -> None:
    services.health.started -= STARTING + 1


def beat(services: Services, ago: timedelta = timedelta(0)) -> None:
    with services.db.session() as session:
        job_rows.beat(session, SCHEDULER_BEAT, "host:1", services.health.wall() - ago)


def test_a_healthy_web_process_says_what_it_checked(running_app: RunningApp) -> None:
    beat(running_app.services)
    status, body = healthz(running_app)
    assert status == 200 and body["status"] == "ok" and body["reasons"] == []
    assert body["process"] == "web" and body["database"] == "ok"
    assert body["scheduler"]["holder"] == "host:1"
    assert body["scheduler"]["seconds_since_beat"] < 5
    assert set(body["loops"]) == {"jobs-1", "jobs-2"}  # this test's in-process job loop
    assert body["jobs"] == {"oldest_waiting_seconds": None}
    assert body["delivery"] == {"oldest_due_seconds": None}


def test_nobody_holding_the_scheduler_lock_is_a_problem_after_start_up(
    running_app: RunningApp,
) -> None:
    services = running_app.services
    assert healthz(running_app)[0] == 200, "a worker may still be starting"
    started_long_ago(services)
    status, body = healthz(running_app)
    nobody = ["no process holds the scheduler lock"]
    assert status == 200 and body["warnings"] == nobody, "a web process only warns"
    assert assess(services, "worker").reasons == nobody, "a worker is the one to restart"
    beat(services, ago=timedelta(minutes=5))
    assert not assess(services, "all").ok, "an old beat is nobody"
    beat(services)
    assert assess(services, "worker").ok and "warnings" not in healthz(running_app)[1]


def test_a_stopped_loop_makes_the_process_unhealthy(running_app: RunningApp) -> None:
    beat(running_app.services)
    dead = threading.Thread(target=lambda: None, name="delivery")
    dead.start()
    dead.join()
    running_app.services.health.watch("delivery", dead)
    status, body = healthz(running_app)
    assert status == 503 and body["reasons"] == ["delivery: loop stopped"]
    assert body["loops"]["delivery"] == "stopped"


def test_jobs_waiting_too_long_make_the_process_unhealthy(
    running_app: RunningApp, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = running_app.services
    beat(services)
    monkeypatch.setattr(services.jobs, "run_once", lambda limit=100: None)  # no worker runs
    account = seed_account(services, "acme", "Acme Corp")
    queue_open(services.jobs, account, Signal(kind="cancellation", source="/churn"))
    clock.advance(JOBS_STALLED + timedelta(seconds=1))
    status, body = healthz(running_app)
    assert status == 200 and body["warnings"][0].startswith("jobs waiting for 12")
    assert assess(services, "worker").reasons[0].startswith("jobs waiting for 12")


def test_a_backlog_still_draining_is_not_stalled(running_app: RunningApp, clock: FakeClock) -> None:
    """A burst of new cases waits at Slack's pace (a post a second per channel): messages
    due for minutes while others go out is a backlog, not a stall to restart for."""
    services = running_app.services
    beat(services)
    with services.db.session() as session:
        outbox.post(session, clock.now(), "C0CASES", "the oldest of a burst")
        sent = outbox.post(session, clock.now(), "C0CASES", "one that went out")
        session.flush()
        sent.state, sent.sent_at = OutboxState.SENT, clock.now()
    clock.advance(DELIVERY_STALLED + timedelta(seconds=1))
    with services.db.session() as session:
        session.get(OutboxMessage, sent.id).sent_at = clock.now() - timedelta(seconds=10)
    assert assess(services, "worker").ok, "a message went out 10 s ago"
    clock.advance(NO_PROGRESS)
    reasons = assess(services, "worker").reasons
    assert reasons and reasons[0].startswith("delivery stalled: a message due for")


def post(app: RunningApp, path: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(
        app.base_url + path, data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@pytest.mark.parametrize("path", ["/slack/events", "/webhooks/signals", "/webhooks/stripe"])
def test_every_endpoint_refuses_a_body_over_the_limit(running_app: RunningApp, path: str) -> None:
    status, body = post(running_app, path, b"x" * (MAX_BODY_BYTES + 1))
    assert status == 413 and str(MAX_BODY_BYTES) in body["error"]


def test_a_command_while_the_database_is_down_says_nothing_was_saved(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme Corp")

    def down(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("INSERT INTO jobs …", {}, Exception("connection refused"))

    monkeypatch.setattr(app.services.jobs, "add", down)  # every way a job is written
    answer = app.slack.slash_command("cancel acme budget", user_id="U0CSM")
    assert answer.status == 200
    assert "cannot reach its database" in answer.text and "nothing was saved" in answer.text
    assert "Opening a case" not in answer.text


def test_the_scheduler_lock_loop_outlives_a_database_outage(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock could not even be asked for (the database was down): the loop keeps asking
    and leads once it can (it used to die with the first exception)."""
    real = SchedulerLock.try_acquire
    failures = [3]

    def flaky(lock: SchedulerLock) -> bool:
        if failures[0]:
            failures[0] -= 1
            raise OperationalError("SELECT pg_try_advisory_lock", {}, Exception("refused"))
        return real(lock)

    monkeypatch.setattr(SchedulerLock, "try_acquire", flaky)
    stop, leading = threading.Event(), threading.Event()
    thread = threading.Thread(target=run_with_lock, args=(services, stop, 0.01, leading))
    thread.start()
    try:
        eventually(leading.is_set)
        assert failures == [0] and thread.is_alive()
        eventually(lambda: services.health.loops().get("scheduler-lock") == "ok")
    finally:
        stop.set()
        thread.join(10)
