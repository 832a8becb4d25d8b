"""Scheduled steps: one row per key, claimed safely by many runners, each run exactly once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot import outbox
from bot.common.clock import FakeClock
from bot.runtime.steps import LEASE, MAX_ATTEMPTS, StepHandler, StepRunner
from storage import steps
from storage.db import Database
from storage.locks import SchedulerLock
from storage.models import Account, Case, OutboxMessage, ScheduledStep


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.migrate()
    yield database
    database.dispose()


def add(
    db: Database,
    clock: FakeClock,
    key: str,
    *,
    due_in: timedelta = timedelta(0),
    kind: str = "nudge",
    case_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    now = clock.now()
    with db.session() as session:
        added = steps.schedule(
            session,
            key=key,
            kind=kind,
            due_at=now + due_in,
            now=now,
            case_id=case_id,
            payload=payload,
        )
    assert added


def add_many(db: Database, clock: FakeClock, count: int, kind: str = "nudge") -> None:
    now = clock.now()
    with db.session() as session:
        session.add_all(
            ScheduledStep(
                key=f"bulk:{i}",
                kind=kind,
                due_at=now - timedelta(seconds=i % 97),
                state="pending",
                payload={},
                created_at=now,
            )
            for i in range(count)
        )


def state_of(db: Database, key: str) -> ScheduledStep:
    with db.session() as session:
        step = session.scalar(select(ScheduledStep).where(ScheduledStep.key == key))
        assert step is not None
        return step


def outbox_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def queueing_handler(seen: list[int], lock: threading.Lock | None = None) -> StepHandler:
    """Records the step and queues a message, as a real nudge does."""
    guard = lock or threading.Lock()

    def handle(session: Session, step: ScheduledStep, now: datetime) -> None:
        outbox.post(session, now, "C0CASES", f"nudge {step.key}")
        with guard:
            seen.append(step.id)

    return handle


def test_schedule_is_idempotent_on_key(db: Database, clock: FakeClock) -> None:
    now = clock.now()
    with db.session() as session:
        assert steps.schedule(session, key="case:1:ack", kind="nudge", due_at=now, now=now)
        assert not steps.schedule(
            session, key="case:1:ack", kind="other", due_at=now + timedelta(days=1), now=now
        )
    with db.session() as session:
        assert not steps.schedule(session, key="case:1:ack", kind="nudge", due_at=now, now=now)
        rows = list(session.scalars(select(ScheduledStep)))
    assert [(r.key, r.kind, r.due_at, r.state) for r in rows] == [
        ("case:1:ack", "nudge", now, "pending")
    ]


def test_reschedule_moves_only_pending_steps(db: Database, clock: FakeClock) -> None:
    add(db, clock, "remind:1", due_in=timedelta(hours=1))
    later = clock.now() + timedelta(hours=5)
    with db.session() as session:
        assert steps.reschedule(session, key="remind:1", due_at=later, payload={"by": "U1"})
        assert not steps.reschedule(session, key="missing", due_at=later)
    assert (state_of(db, "remind:1").due_at, state_of(db, "remind:1").payload) == (
        later,
        {"by": "U1"},
    )
    clock.advance(timedelta(hours=6))
    StepRunner(db, clock, {"nudge": lambda *_: None}).run_due()
    with db.session() as session:
        assert not steps.reschedule(session, key="remind:1", due_at=later)


def make_case(db: Database, clock: FakeClock, track: str = "churn") -> int:
    now = clock.now()
    with db.session() as session:
        account = Account(external_id=f"acme-{track}", name="Acme", created_at=now, updated_at=now)
        session.add(account)
        session.flush()
        case = Case(
            account_id=account.id,
            track=track,
            kind="other",
            source="test",
            created_at=now,
            updated_at=now,
        )
        session.add(case)
        session.flush()
        return case.id


def test_cancel_stops_a_cases_pending_steps(db: Database, clock: FakeClock) -> None:
    assert (make_case(db, clock, "churn"), make_case(db, clock, "payment")) == (1, 2)
    add(db, clock, "case:1:ack", case_id=1, due_in=timedelta(hours=4))
    add(db, clock, "case:1:escalate", case_id=1, kind="escalate", due_in=timedelta(days=1))
    add(db, clock, "case:1:stale", case_id=1, kind="stale", due_in=timedelta(days=7))
    add(db, clock, "case:2:ack", case_id=2, due_in=timedelta(hours=4))
    with db.session() as session:
        assert steps.cancel(session, case_id=1, kinds=["nudge", "escalate"], now=clock.now()) == 2
        assert [s.key for s in steps.pending_for_case(session, 1)] == ["case:1:stale"]
        assert steps.cancel(session, case_id=1, now=clock.now()) == 1
        assert steps.pending_for_case(session, 1) == []
        assert [s.key for s in steps.pending_for_case(session, 2)] == ["case:2:ack"]
    assert state_of(db, "case:1:ack").state == "cancelled"
    clock.advance(timedelta(days=8))
    assert StepRunner(db, clock, {"nudge": lambda *_: None}).run_due().done == 1  # case 2 only


def test_claims_only_due_steps_oldest_first(db: Database, clock: FakeClock) -> None:
    add(db, clock, "later", due_in=timedelta(minutes=1))
    add(db, clock, "now", due_in=timedelta(0))
    add(db, clock, "earlier", due_in=timedelta(minutes=-5))
    with db.session() as session:
        claimed = steps.claim_due(session, now=clock.now(), limit=10, lease=LEASE)
    assert [s.key for s in claimed] == ["earlier", "now"]
    assert all(s.state == "claimed" and s.claimed_until == clock.now() + LEASE for s in claimed)
    with db.session() as session:
        assert steps.claim_due(session, now=clock.now(), limit=10, lease=LEASE) == []
    assert state_of(db, "later").state == "pending"


def test_claim_respects_limit(db: Database, clock: FakeClock) -> None:
    add_many(db, clock, 25)
    with db.session() as session:
        first = steps.claim_due(session, now=clock.now(), limit=10, lease=LEASE)
        second = steps.claim_due(session, now=clock.now(), limit=100, lease=LEASE)
    assert (len(first), len(second)) == (10, 15)
    assert not {s.id for s in first} & {s.id for s in second}
    assert max(s.due_at for s in first) <= min(s.due_at for s in second)


def test_worker_killed_between_claim_and_delivery_delivers_once_on_restart(
    db: Database, clock: FakeClock
) -> None:
    add(db, clock, "case:1:ack")
    with db.session() as session:  # the worker claims, then dies before running the handler
        assert len(steps.claim_due(session, now=clock.now(), limit=10, lease=LEASE)) == 1

    seen: list[int] = []
    runner = StepRunner(db, clock, {"nudge": queueing_handler(seen)})
    assert runner.run_due().claimed == 0, "a live lease is left alone"
    clock.advance(LEASE + timedelta(seconds=1))
    assert runner.run_due().done == 1
    assert runner.run_due().claimed == 0
    clock.advance(LEASE * 3)
    assert runner.run_due().claimed == 0
    assert len(seen) == 1 and outbox_count(db) == 1
    assert state_of(db, "case:1:ack").state == "done"


def test_runner_that_outlives_its_lease_cannot_deliver_twice(
    db: Database, db_url: str, clock: FakeClock
) -> None:
    add(db, clock, "case:1:ack")
    other_db = Database(db_url)
    other_seen: list[int] = []
    other = StepRunner(other_db, clock, {"nudge": queueing_handler(other_seen)})

    def slow_handler(session: Session, step: ScheduledStep, now: datetime) -> None:
        clock.advance(LEASE + timedelta(seconds=1))  # stalls past its lease...
        assert other.run_due().done == 1  # ...and another worker takes the step over
        outbox.post(session, now, "C0CASES", "late duplicate")

    try:
        report = StepRunner(db, clock, {"nudge": slow_handler}).run_due()
    finally:
        other_db.dispose()
    assert (report.done, report.skipped) == (0, 1)
    assert len(other_seen) == 1 and outbox_count(db) == 1


def test_handler_may_cancel_its_own_cases_steps_and_still_completes(
    db: Database, clock: FakeClock
) -> None:
    case_id = make_case(db, clock)
    add(db, clock, "case:1:escalate", kind="escalate", case_id=case_id)
    add(db, clock, "case:1:stale", kind="stale", case_id=case_id, due_in=timedelta(days=7))

    def escalate(session: Session, step: ScheduledStep, now: datetime) -> None:
        assert steps.cancel(session, case_id=case_id, now=now) == 1  # the stale step only
        outbox.post(session, now, "C0CASES", "escalated")

    report = StepRunner(db, clock, {"escalate": escalate}).run_due()
    assert (report.done, report.skipped) == (1, 0)
    assert state_of(db, "case:1:escalate").state == "done"
    assert state_of(db, "case:1:stale").state == "cancelled"
    assert outbox_count(db) == 1


def test_failing_handler_marks_failed_and_spares_other_steps(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    add(db, clock, "a", due_in=timedelta(minutes=-3))
    add(db, clock, "b", due_in=timedelta(minutes=-2), kind="broken")
    add(db, clock, "c", due_in=timedelta(minutes=-1))
    add(db, clock, "d", kind="mystery", payload={"keep": 1})
    seen: list[int] = []

    def broken(session: Session, step: ScheduledStep, now: datetime) -> None:
        outbox.post(session, now, "C0CASES", "half-done work")
        raise RuntimeError("boom")

    handlers = {"nudge": queueing_handler(seen), "broken": broken}
    report = StepRunner(db, clock, handlers).run_due()
    assert (report.done, report.failed, report.unknown) == (2, 1, 1)
    assert [state_of(db, k).state for k in "abcd"] == ["done", "failed", "done", "failed"]
    assert state_of(db, "b").payload == {"error": "RuntimeError: boom"}
    assert state_of(db, "d").payload == {"keep": 1, "error": "no handler for kind 'mystery'"}
    assert outbox_count(db) == 2, "the failed step's message was rolled back"
    assert "Traceback" in caplog.text and "boom" in caplog.text
    clock.advance(LEASE * 2)
    assert StepRunner(db, clock, handlers).run_due().claimed == 0, "failed steps stay failed"


def test_running_twice_at_the_same_moment_delivers_once(db: Database, clock: FakeClock) -> None:
    add_many(db, clock, 30)
    seen: list[int] = []
    runner = StepRunner(db, clock, {"nudge": queueing_handler(seen)})
    assert runner.run_due(limit=7).done == 30
    assert runner.run_due(limit=7).claimed == 0
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 30
    assert outbox_count(db) == 30


def test_max_per_run_caps_a_catch_up(db: Database, clock: FakeClock) -> None:
    add_many(db, clock, 25)
    runner = StepRunner(db, clock, {"nudge": lambda *_: None}, max_per_run=10)
    assert [runner.run_due(limit=4).done for _ in range(4)] == [10, 10, 5, 0]


def test_two_runners_at_once_handle_every_step_exactly_once(
    db: Database, db_url: str, clock: FakeClock
) -> None:
    total = 1000
    add_many(db, clock, total)
    seen: list[int] = []
    guard = threading.Lock()
    start = threading.Barrier(2)
    reports = []
    errors: list[BaseException] = []

    def work() -> None:
        own_db = Database(db_url)
        try:
            runner = StepRunner(own_db, clock, {"nudge": queueing_handler(seen, guard)})
            start.wait()
            reports.append(runner.run_due(limit=25))
        except BaseException as exc:
            errors.append(exc)
        finally:
            own_db.dispose()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert len(seen) == len(set(seen)) == total, "no step twice, none missing"
    with db.session() as session:
        all_ids = set(session.scalars(select(ScheduledStep.id)))
        states = session.execute(
            select(ScheduledStep.state, func.count()).group_by(ScheduledStep.state)
        ).all()
    assert set(seen) == all_ids
    assert dict(states) == {"done": total}
    assert outbox_count(db) == total
    assert sum(r.done for r in reports) == total
    if db.is_postgres:  # SKIP LOCKED lets both work at once; SQLite's lock is not fair
        assert all(r.done > 0 for r in reports), "both runners took a share"


def test_claim_query_can_use_the_claim_index(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        if db.is_postgres:  # tiny tables: make the planner show whether the index is usable
            session.execute(text("SET LOCAL enable_seqscan = off"))
            session.execute(text("SET LOCAL enable_bitmapscan = off"))
        plan = steps.explain_claim(session, now=clock.now(), limit=500, lease=LEASE)
    assert "ix_steps_claim" in plan, plan


def test_scheduler_lock_is_held_by_one_process_at_a_time(db_url: str) -> None:
    first_db, second_db = Database(db_url), Database(db_url)
    first, second = SchedulerLock(first_db), SchedulerLock(second_db)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.still_held()
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()
        first_db.dispose()
        second_db.dispose()


def test_a_step_whose_runs_keep_dying_is_given_up(db: Database, clock: FakeClock) -> None:
    add(db, clock, "case:1:ack")
    for _ in range(MAX_ATTEMPTS):  # each worker claims it, then dies with the process
        with db.session() as session:
            assert len(steps.claim_due(session, now=clock.now(), limit=10, lease=LEASE)) == 1
        clock.advance(LEASE + timedelta(seconds=1))
    seen: list[int] = []
    report = StepRunner(db, clock, {"nudge": queueing_handler(seen)}).run_due()
    assert (report.failed, seen) == (1, [])
    failed = state_of(db, "case:1:ack")
    assert failed.state == "failed" and "never finished" in failed.payload["error"]
