"""Scheduled-step queries: every follow-up is a row with a due time, a state and a unique key.

States: `pending` → `claimed` (a runner holds a lease until `claimed_until`) → `done` |
`failed` | `cancelled`. A claim commits at once, so a runner that dies leaves the row
`claimed`; when its lease runs out any runner may claim it again. `complete` and `fail` are
fenced on the lease they were given, so a runner that outlived its lease cannot finish a
step someone else has taken over. Except for `claim_due`, nothing here commits: the
caller's unit of work does, so a step's outcome lands with the effects it caused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Update, and_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement

from storage.models import ScheduledStep
from storage.vocab import StepState

LIVE_SQL = "state IN ('pending', 'claimed')"
"""Written as a literal, identical to the `ix_steps_claim` predicate: SQLite (always) and
PostgreSQL (generic plans) only use a partial index when the query repeats its WHERE term
with the same constants, not with bound parameters."""

MAX_ERROR_CHARS = 2000


def schedule(
    session: Session,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    now: datetime,
    case_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Add a step unless one with this key exists; True if this call added it.

    A key that was cancelled comes back to life (snooze to X, then Y, then X again), but
    one that is pending, claimed, done or failed is never scheduled twice.
    """
    step = {"key": key, "kind": kind, "due_at": due_at, "case_id": case_id, "payload": payload}
    return schedule_many(session, [step], now) == 1


def schedule_many(session: Session, steps: list[dict[str, Any]], now: datetime) -> int:
    """Several steps in one statement, each a dict of `schedule`'s `key`, `kind`, `due_at`,
    `case_id` and `payload`, under the same rule. Returns how many were added or revived."""
    rows = [
        {
            **step,
            "payload": step.get("payload") or {},
            "state": StepState.PENDING,
            "created_at": now,
        }
        for step in steps
    ]
    return add_or_revive(session, rows)


def add_or_revive(session: Session, rows: dict[str, Any] | list[dict[str, Any]]) -> int:
    """Insert a step row, or many in one statement. A key that exists is left alone unless
    its step was cancelled: then it comes back pending with the new due time and payload
    (the rule `schedule` states). Returns how many were added or revived."""
    many = [rows] if isinstance(rows, dict) else rows
    stmt = _upsert("postgresql" if _is_postgres(session) else "sqlite")
    return len(session.execute(stmt, many).all())


_UPSERTS: dict[str, Any] = {}


def _upsert(dialect_name: str) -> Any:
    """`add_or_revive`'s statement, built once per dialect: building it (the `excluded`
    alias above all) took longer than running it, on every new case."""
    stmt = _UPSERTS.get(dialect_name)
    if stmt is None:
        table = ScheduledStep.__table__
        insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(table)
        stmt = insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "state": StepState.PENDING,
                "due_at": insert.excluded.due_at,
                "payload": insert.excluded.payload,
                "claimed_until": None,
                "done_at": None,
            },
            where=table.c.state == StepState.CANCELLED,
        ).returning(table.c.id)
        _UPSERTS[dialect_name] = stmt
    return stmt


def reschedule(
    session: Session, *, key: str, due_at: datetime, payload: dict[str, Any] | None = None
) -> bool:
    """Move a pending step (snooze, remind me); `payload`, when given, replaces the old one."""
    values: dict[str, Any] = {"due_at": due_at}
    if payload is not None:
        values["payload"] = payload
    stmt = (
        update(ScheduledStep)
        .where(ScheduledStep.key == key, ScheduledStep.state == StepState.PENDING)
        .values(**values)
    )
    return _rowcount(session.execute(stmt)) == 1


def cancel(
    session: Session,
    *,
    case_id: int,
    kinds: Iterable[str] | None = None,
    now: datetime,
    key_prefix: str | None = None,
) -> int:
    """Cancel a case's pending steps; returns how many.

    A step already claimed is left to finish: its handler may be the very code calling
    this (a step that acts on its own case), and handlers re-check the case anyway.
    """
    where = [ScheduledStep.case_id == case_id, ScheduledStep.state == StepState.PENDING]
    if kinds is not None:
        where.append(ScheduledStep.kind.in_(list(kinds)))
    if key_prefix is not None:  # one thing's steps among the case's (e.g. one offer)
        where.append(ScheduledStep.key.startswith(key_prefix, autoescape=True))
    stmt = (
        update(ScheduledStep)
        .where(*where)
        .values(state=StepState.CANCELLED, done_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return _rowcount(session.execute(stmt))


def claimable(now: datetime) -> ColumnElement[bool]:
    """Due and pending, or claimed by a runner whose lease has run out.

    A claimed step was due when it was claimed, so `due_at <= now` holds for both and lets
    one ordered range scan of `ix_steps_claim` serve the whole condition.
    """
    return and_(
        ScheduledStep.due_at <= now,
        text(LIVE_SQL),
        or_(ScheduledStep.state == StepState.PENDING, ScheduledStep.claimed_until < now),
    )


def due_ids(now: datetime, limit: int) -> Select[tuple[int]]:
    """Ids of the oldest claimable steps (the query the claim index is built for)."""
    return (
        select(ScheduledStep.id)
        .where(claimable(now))
        .order_by(ScheduledStep.due_at, ScheduledStep.id)
        .limit(limit)
    )


def claim_statement(now: datetime, limit: int, lease: timedelta, *, postgres: bool) -> Any:
    """The statement that picks steps to claim (also what the benchmark EXPLAINs).

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so concurrent claimers take disjoint rows
    without waiting. SQLite: one UPDATE … WHERE id IN (subquery), atomic because SQLite
    takes its write lock before the statement reads.
    """
    if postgres:
        return due_ids(now, limit).with_for_update(skip_locked=True)
    return _mark_claimed(now, lease).where(
        ScheduledStep.id.in_(due_ids(now, limit).scalar_subquery())
    )


def claim_due(
    session: Session, *, now: datetime, limit: int, lease: timedelta
) -> list[ScheduledStep]:
    """Claim up to `limit` due steps, oldest due first, and commit the claim."""
    if limit <= 0:
        return []
    postgres = _is_postgres(session)
    stmt = claim_statement(now, limit, lease, postgres=postgres)
    if postgres:
        ids = list(session.scalars(stmt))
        if not ids:
            session.commit()
            return []
        stmt = _mark_claimed(now, lease).where(ScheduledStep.id.in_(ids))
    claimed = session.scalars(
        stmt.returning(ScheduledStep),
        execution_options={"populate_existing": True, "synchronize_session": False},
    )
    steps = sorted(claimed, key=lambda s: (s.due_at, s.id))  # RETURNING has no order
    session.commit()
    return steps


def explain_claim(session: Session, *, now: datetime, limit: int, lease: timedelta) -> str:
    """The database's plan for choosing steps to claim (nothing is claimed): which index."""
    if _is_postgres(session):
        statement = _Explain("EXPLAIN", claim_statement(now, limit, lease, postgres=True))
    else:  # the UPDATE's cost is its id subquery; the outer part is a rowid lookup per id
        statement = _Explain("EXPLAIN QUERY PLAN", due_ids(now, limit))
    plan = session.execute(statement)
    return "\n".join(" ".join(str(col) for col in row) for row in plan)


def complete(
    session: Session,
    step_id: int,
    *,
    now: datetime,
    state: str = StepState.DONE,
    claimed_until: datetime | None = None,
) -> bool:
    """Mark a claimed step finished. With `claimed_until` (the lease the runner holds) only
    that claim may finish it; False means another runner reclaimed it meanwhile."""
    stmt = (
        _fenced(step_id, claimed_until)
        .values(state=state, claimed_until=None, done_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return _rowcount(session.execute(stmt)) == 1


def fail(
    session: Session,
    step_id: int,
    *,
    now: datetime,
    error: str,
    claimed_until: datetime | None = None,
) -> bool:
    """Mark a claimed step failed, keeping the reason in `payload["error"]` (fenced like
    `complete`)."""
    current = session.scalar(select(ScheduledStep.payload).where(ScheduledStep.id == step_id))
    payload = {**(current or {}), "error": error[:MAX_ERROR_CHARS]}
    stmt = (
        _fenced(step_id, claimed_until)
        .values(state=StepState.FAILED, payload=payload, claimed_until=None, done_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return _rowcount(session.execute(stmt)) == 1


def pending_for_case(session: Session, case_id: int) -> list[ScheduledStep]:
    """A case's steps still to come, soonest first (App Home, the case root)."""
    stmt = (
        select(ScheduledStep)
        .where(ScheduledStep.case_id == case_id, ScheduledStep.state == StepState.PENDING)
        .order_by(ScheduledStep.due_at, ScheduledStep.id)
    )
    return list(session.scalars(stmt))


class _Explain(Executable, ClauseElement):
    """`<prefix> <select>` with the select's parameters bound as usual."""

    inherit_cache = False

    def __init__(self, prefix: str, statement: Any) -> None:
        self.prefix = prefix
        self.statement = statement


@compiles(_Explain)
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return f"{element.prefix} {compiler.process(element.statement, **kw)}"


def _mark_claimed(now: datetime, lease: timedelta) -> Update:
    return (
        update(ScheduledStep)
        .where(claimable(now))
        .values(
            state=StepState.CLAIMED, claimed_until=now + lease, attempts=ScheduledStep.attempts + 1
        )
    )


def _fenced(step_id: int, claimed_until: datetime | None) -> Update:
    stmt = update(ScheduledStep).where(
        ScheduledStep.id == step_id, ScheduledStep.state == StepState.CLAIMED
    )
    if claimed_until is not None:
        stmt = stmt.where(ScheduledStep.claimed_until == claimed_until)
    return stmt


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def failed(session: Session, limit: int = 20) -> list[ScheduledStep]:
    """Steps whose handler failed for good, newest first (shown by `app.py check`)."""
    stmt = (
        select(ScheduledStep)
        .where(ScheduledStep.state == StepState.FAILED)
        .order_by(ScheduledStep.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
