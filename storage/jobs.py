"""Job queries: add a job, claim the next due one (one claimer wins), record the outcome,
and the counts `/healthz` and `check` show. Heartbeats of the scheduler lock's holder."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from storage.tables.jobs import Heartbeat, Job
from storage.vocab import JobState

JOBS_CHANNEL = "savedesk_jobs"
"""PostgreSQL NOTIFY channel a commit that added jobs signals (storage.notify listens)."""
_SCOPE = "current_database() || '.' || current_schema()"
_NOTIFY_JOBS = text(f"SELECT pg_notify('{JOBS_CHANNEL}', {_SCOPE})")


def add(session: Session, kind: str, payload: dict[str, Any], now: datetime) -> Job:
    """Queue a job in the caller's unit of work; on PostgreSQL its commit NOTIFYs workers."""
    job = Job(kind=kind, payload=payload, state=JobState.PENDING, attempts=0, run_after=now)
    job.created_at = now
    session.add(job)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_NOTIFY_JOBS)  # delivered when (and only if) the transaction commits
    return job


def _claimable(now: datetime) -> Any:
    return or_(
        and_(Job.state == JobState.PENDING, Job.run_after <= now),
        and_(Job.state == JobState.RUNNING, Job.claimed_until < now),
    )


def any_due(session: Session, now: datetime) -> bool:
    """Whether a job is due (a read: a worker with nothing to do never takes a write lock,
    which on SQLite would hold up every other writer)."""
    return session.scalar(select(Job.id).where(_claimable(now)).limit(1)) is not None


def claim_next(session: Session, now: datetime, lease: timedelta, worker: str) -> Job | None:
    """Take the oldest due job (or one whose claimer's lease ran out: it died) and commit
    the claim; None when nothing is due. A conditional UPDATE makes one claimer win; on
    PostgreSQL `FOR UPDATE SKIP LOCKED` keeps claimers from queueing on the same row."""
    stmt = select(Job.id).where(_claimable(now)).order_by(Job.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    job_id = session.scalar(stmt)
    if job_id is None:
        session.commit()
        return None
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, _claimable(now))
        .values(
            state=JobState.RUNNING,
            claimed_until=now + lease,
            claimed_by=worker,
            attempts=Job.attempts + 1,
        )
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(Job, job_id, populate_existing=True)


def claim_batch(
    session: Session, now: datetime, lease: timedelta, worker: str, limit: int
) -> list[Job]:
    """Take up to `limit` of the oldest due jobs in one claim (one commit: the bookkeeping
    of a burst costs a statement per batch, not per job), as `claim_next` does one. The
    claim's token (`claimed_by`) tells this claimer's rows from a concurrent one's."""
    stmt = select(Job.id).where(_claimable(now)).order_by(Job.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.scalars(stmt))
    if not ids:
        session.commit()
        return []
    token = f"{worker}/{uuid.uuid4().hex[:8]}"
    session.execute(
        update(Job)
        .where(Job.id.in_(ids), _claimable(now))
        .values(
            state=JobState.RUNNING,
            claimed_until=now + lease,
            claimed_by=token,
            attempts=Job.attempts + 1,
        )
    )
    session.commit()
    mine = select(Job).where(Job.id.in_(ids), Job.claimed_by == token).order_by(Job.id)
    return list(session.scalars(mine.execution_options(populate_existing=True)))


class LeaseLost(RuntimeError):
    """The job was claimed again by another worker (this one's lease ran out): whatever this
    worker wrote with it must roll back."""


def mark_done(session: Session, job_id: int, attempt: int, now: datetime) -> None:
    """Mark a running job done inside the caller's unit of work, so the job's effect and its
    completion commit together. Raises LeaseLost when another claim replaced this one."""
    done = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.attempts == attempt, Job.state == JobState.RUNNING)
        .values(state=JobState.DONE, finished_at=now, claimed_until=None, last_error=None)
    )
    if done.rowcount == 1:  # type: ignore[attr-defined]
        return
    now_row = session.execute(select(Job.state, Job.attempts).where(Job.id == job_id)).first()
    if now_row is not None and tuple(now_row) == (JobState.DONE, attempt):
        return  # this very claim completed it already (the handler called `done` itself)
    raise LeaseLost(f"job {job_id} was claimed again")


def release(
    session: Session,
    job_id: int,
    attempt: int,
    *,
    state: str,
    error: str | None,
    run_after: datetime | None = None,
    now: datetime,
) -> None:
    """Give a claimed job back (`pending` again at `run_after`) or fail it for good; then
    commit. A claim that was replaced meanwhile is left as it is."""
    values: dict[str, Any] = {"state": state, "claimed_until": None, "last_error": error}
    if run_after is not None:
        values["run_after"] = run_after
    if state == JobState.FAILED:
        values["finished_at"] = now
    session.execute(update(Job).where(Job.id == job_id, Job.attempts == attempt).values(values))
    session.commit()


def counts(session: Session) -> dict[str, int]:
    """Jobs by state (done ones are pruned after a while)."""
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    return {state: n for state, n in rows}


def counts_running(db: Any) -> int:
    """Jobs a worker holds right now (for tests that wait for a worker to finish)."""
    with db.read() as session:
        return session.scalar(select(func.count()).where(Job.state == JobState.RUNNING)) or 0


def oldest_due(session: Session, now: datetime) -> datetime | None:
    """When the oldest job that is due and not done was created (None: none waits)."""
    return session.scalar(select(func.min(Job.created_at)).where(_claimable(now)))


def last_finished(session: Session) -> datetime | None:
    """When a job last finished (None: never): a backlog still moving is not stalled."""
    return session.scalar(select(func.max(Job.finished_at)))


def failed(session: Session, limit: int = 10) -> list[Job]:
    stmt = select(Job).where(Job.state == JobState.FAILED).order_by(Job.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def prune(session: Session, before: datetime) -> int:
    """Forget done jobs finished before `before`; failed ones stay for `check`."""
    gone = session.execute(delete(Job).where(Job.state == JobState.DONE, Job.finished_at < before))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def beat(session: Session, name: str, holder: str, now: datetime) -> None:
    """Record that `holder` still holds role `name` (an upsert, then the caller commits)."""
    row = session.get(Heartbeat, name)
    if row is None:
        session.add(Heartbeat(name=name, holder=holder, beat_at=now))
    else:
        row.holder, row.beat_at = holder, now


def last_beat(session: Session, name: str) -> Heartbeat | None:
    return session.get(Heartbeat, name)
