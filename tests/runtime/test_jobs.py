"""The durable job system: what an acknowledgement accepted is a row, run once by a worker,
retried when it fails, taken over when its worker died, and never lost to an outage."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.runtime.health import Health
from bot.runtime.jobs import LEASE, MAX_ATTEMPTS, Claimed, Done, JobKind, JobLoop, Jobs
from bot.runtime.services import Services
from bot.signals.jobs import queue_open, signal_from_json, signal_to_json
from storage import jobs as rows
from storage.models import Case, Job, OutboxMessage, StoredReport
from tests.conftest import PG_URL, eventually, seed_account


def job_states(services: Services) -> list[tuple[str, int]]:
    with services.db.read() as session:
        return [(j.state, j.attempts) for j in session.scalars(select(Job).order_by(Job.id))]


def count(services: Services, table: type) -> int:
    with services.db.read() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_signal_survives_its_trip_through_json() -> None:
    from datetime import date
    from decimal import Decimal

    signal = Signal(
        kind="cancellation",
        source="/churn",
        actor="U0CSM",
        summary="budget — cut",
        arr=Decimal("1234.50"),
        renewal_date=date(2027, 3, 1),
        dedupe=("slack-view", "V1"),
        details={"command": '"x"'},
        respond_url="https://hooks.slack.com/commands/1",
        respond_issued=datetime(2026, 1, 5, 14, 0, 30, tzinfo=UTC),
        reply_in=("C1", "1.2"),
    )
    assert signal_from_json(json.loads(json.dumps(signal_to_json(signal)))) == signal


def test_a_queued_case_opens_once_however_often_its_job_runs(services: Services) -> None:
    account = seed_account(services, "acme", "Acme Corp")
    job_id = queue_open(services.jobs, account, Signal(kind="cancellation", source="/churn"))
    assert services.run_jobs().done == 1
    assert count(services, Case) == 1 and job_states(services) == [("done", 1)]
    # its worker died after the case committed and before the job was marked done
    with services.db.session() as session:
        session.execute(update(Job).where(Job.id == job_id).values(state="pending"))
    roots = count(services, OutboxMessage)
    assert services.run_jobs().done == 1
    assert count(services, Case) == 1, "the job's dedupe key finds the first run's case"
    assert count(services, OutboxMessage) == roots, "nothing is said twice"


def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(
    services: Services, clock: FakeClock
) -> None:
    account = seed_account(services, "acme", "Acme Corp")
    queue_open(services.jobs, account, Signal(kind="cancellation", source="/churn"))
    with services.db.session() as session:  # a worker claims it, then is killed
        assert rows.claim_next(session, clock.now(), LEASE, "dead:1") is not None
    assert services.run_jobs().done == 0, "its lease still runs"
    clock.advance(LEASE + timedelta(seconds=1))
    assert services.run_jobs().done == 1
    assert count(services, Case) == 1 and job_states(services) == [("done", 2)]


def test_a_report_job_taken_over_posts_once(services: Services, clock: FakeClock) -> None:
    """The report's post and the job's completion commit together: a worker whose lease ran
    out (another took the job over and finished it) rolls its own post back."""
    services.jobs.enqueue(JobKind.PUBLISH_REPORT, {"period": "week", "channel": "C0LEADERS"})
    with services.db.session() as session:
        slow = rows.claim_next(session, clock.now(), LEASE, "slow:1")
        assert slow is not None
    clock.advance(LEASE + timedelta(seconds=1))
    assert services.run_jobs().done == 1  # the takeover
    handler = services.jobs.handlers[JobKind.PUBLISH_REPORT]
    with pytest.raises(rows.LeaseLost):
        job = Claimed(slow.id, JobKind.PUBLISH_REPORT, dict(slow.payload), 1)
        handler(job, _done(services, job))
    assert count(services, StoredReport) == 1


def _done(services: Services, job: Claimed) -> Done:
    def done(session: object) -> None:
        rows.mark_done(session, job.id, job.attempt, services.clock.now())  # type: ignore[arg-type]

    return done


def test_a_failing_job_is_retried_with_backoff_then_given_up_and_the_person_told(
    services: Services, clock: FakeClock
) -> None:
    told: list[str] = []
    services.jobs.handlers[JobKind.OPEN_CASE] = _raise(ValueError("no such account"))
    services.jobs.give_up[JobKind.OPEN_CASE] = lambda job, ref: told.append(ref)
    queue_open(services.jobs, 999, Signal(kind="cancellation", source="/churn"))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = services.jobs.run_once()
        assert (report.retrying, report.failed) == ((1, 0) if attempt < MAX_ATTEMPTS else (0, 1))
        assert services.jobs.run_once().retrying == 0, "not again before its backoff"
        clock.advance(timedelta(minutes=10))
    assert job_states(services) == [("failed", MAX_ATTEMPTS)] and len(told) == 1
    with services.db.read() as session:
        (failed,) = rows.failed(session)
    assert "no such account" in (failed.last_error or "") and told[0] in failed.last_error


def test_the_requester_hears_when_their_case_could_not_be_opened(
    services: Services, clock: FakeClock
) -> None:
    services.jobs.handlers[JobKind.OPEN_CASE] = _raise(ValueError("broken"))
    url = "https://hooks.slack.com/commands/T1/1/abc"
    signal = Signal(kind="cancellation", source="/churn", respond_url=url)
    queue_open(services.jobs, 1, signal)
    for _ in range(MAX_ATTEMPTS):
        services.jobs.run_once()
        clock.advance(timedelta(minutes=10))
    with services.db.read() as session:
        (answer,) = session.scalars(select(OutboxMessage)).all()
    assert answer.payload["url"] == url and "could not be opened" in answer.payload["text"]


def test_a_database_outage_is_not_the_jobs_fault(services: Services, clock: FakeClock) -> None:
    """The database going away mid-job leaves the job to be claimed again after its lease,
    with no failure counted against it and nobody told it failed."""
    real = services.jobs.handlers[JobKind.OPEN_CASE]
    services.jobs.handlers[JobKind.OPEN_CASE] = _raise(
        OperationalError("INSERT", {}, Exception("server closed the connection"))
    )
    account = seed_account(services, "acme", "Acme Corp")
    queue_open(services.jobs, account, Signal(kind="cancellation", source="/churn"))
    with pytest.raises(OperationalError):
        services.jobs.run_once()
    assert job_states(services) == [("running", 1)]
    services.jobs.handlers[JobKind.OPEN_CASE] = real
    clock.advance(LEASE + timedelta(seconds=1))
    assert services.run_jobs().done == 1 and count(services, Case) == 1


def test_the_job_loop_outlives_failures_and_says_so(services: Services) -> None:
    health = Health()
    broken = threading.Event()
    real_run_once = services.jobs.run_once

    def flaky(limit: int = 100):  # the database is down until `broken` is cleared
        if broken.is_set():
            raise OperationalError("SELECT", {}, Exception("connection refused"))
        return real_run_once(limit)

    services.jobs.run_once = flaky  # type: ignore[method-assign]
    broken.set()
    loop = JobLoop(services.jobs, health, threads=1, poll=0.01)
    loop.start()
    try:
        eventually(lambda: "failing" in health.loops()["jobs-1"])
        assert health.problems(grace=0.0), "a failing loop is a problem once past its grace"
        account = seed_account(services, "acme", "Acme Corp")
        broken.clear()
        queue_open(services.jobs, account, Signal(kind="cancellation", source="/churn"))
        eventually(lambda: count(services, Case) == 1)
        eventually(lambda: health.loops()["jobs-1"] == "ok")
        assert health.problems(grace=0.0) == []
    finally:
        loop.stop()
    assert health.problems() == ["jobs-1: loop stopped"]


@pytest.mark.skipif(not PG_URL, reason="concurrent claimers: PostgreSQL")
def test_two_workers_run_each_job_exactly_once(services: Services) -> None:
    from wiring import build_services

    seen: list[int] = []
    lock = threading.Lock()

    def record(job: Claimed, done: Done) -> None:
        with lock:
            seen.append(job.id)

    workers = []
    for _ in range(2):
        other = build_services(services.settings, services.policy, services.clock)
        jobs = Jobs(other.db, other.clock, {JobKind.OPEN_CASE: record})
        workers.append(JobLoop(jobs, Health(), threads=3, poll=0.01))
    for n in range(60):
        services.jobs.enqueue(JobKind.OPEN_CASE, {"n": n})
    for loop in workers:
        loop.start()
    try:
        eventually(lambda: len(seen) >= 60, timeout=20)
    finally:
        for loop in workers:
            loop.stop()
            loop.jobs.db.dispose()
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 60


def _raise(error: Exception):  # type: ignore[no-untyped-def]
    def run(job: Claimed, done: Done) -> None:
        raise error

    return run
