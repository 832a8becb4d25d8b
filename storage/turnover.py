"""Turnover queries: a case's departed contacts, their plan steps, ticks and time at risk.

The rules (which steps, what risk) live in bot/turnover; this module only reads and writes
rows, and the conditional updates here are what make two people ticking the same step at
once, or two deliverers ending the same risk, count once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import case as sql_case
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import OPEN_STATUSES, Case, PlanStep, Turnover


class StepValues(Protocol):
    """A plan step as bot/turnover/plan.py's StepState describes it."""

    key: str
    text: str
    assignee: str | None
    done: bool
    done_by: str | None
    done_at: datetime | None
    position: int


def create(
    session: Session,
    *,
    case_id: int,
    account_id: int,
    answers: dict[str, Any],
    learned_at: datetime,
    created_by: str | None,
    now: datetime,
) -> Turnover:
    """Insert a turnover; `answers` are the answer columns (enum strings and names)."""
    row = Turnover(
        case_id=case_id,
        account_id=account_id,
        learned_at=learned_at,
        created_by=created_by,
        created_at=now,
        updated_at=now,
        **answers,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, turnover_id: int) -> Turnover | None:
    return session.get(Turnover, turnover_id)


def for_case(session: Session, case_id: int) -> list[Turnover]:
    """A case's turnovers, oldest first (one per departed contact)."""
    stmt = select(Turnover).where(Turnover.case_id == case_id).order_by(Turnover.id)
    return list(session.scalars(stmt))


def steps(session: Session, turnover_id: int) -> list[PlanStep]:
    """A turnover's plan, in plan order."""
    stmt = (
        select(PlanStep)
        .where(PlanStep.turnover_id == turnover_id)
        .order_by(PlanStep.position, PlanStep.id)
    )
    return list(session.scalars(stmt))


def get_step(session: Session, step_id: int) -> PlanStep | None:
    return session.get(PlanStep, step_id)


def save_plan(session: Session, turnover_id: int, plan: Sequence[StepValues]) -> list[PlanStep]:
    """Make the stored plan equal `plan`, matching rows by step key.

    Rows whose key is no longer in `plan` are deleted; the others are updated in place, so
    a step keeps its id (and the buttons that carry it keep working).
    """
    existing = {row.key: row for row in steps(session, turnover_id)}
    wanted = {step.key for step in plan}
    for key, row in existing.items():
        if key not in wanted:
            session.delete(row)
    session.flush()
    rows: list[PlanStep] = []
    for step in plan:
        row = existing.get(step.key) or PlanStep(turnover_id=turnover_id, key=step.key)
        row.text = step.text
        row.assignee = step.assignee
        row.done = step.done
        row.done_by = step.done_by
        row.done_at = step.done_at
        row.position = step.position
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def set_done(
    session: Session, step_id: int, *, done: bool, by: str | None, at: datetime | None
) -> bool:
    """Tick or untick a step; False when it already was in that state (someone was first)."""
    result = session.execute(
        update(PlanStep)
        .where(PlanStep.id == step_id, PlanStep.done.is_(not done))
        .values(done=done, done_by=by if done else None, done_at=at if done else None)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def assign(session: Session, step_id: int, assignee: str | None) -> None:
    """Give a step to a person (a Slack user ID), or to nobody in particular."""
    session.execute(
        update(PlanStep)
        .where(PlanStep.id == step_id)
        .values(assignee=assignee)
        .execution_options(synchronize_session="fetch")
    )


def progress(session: Session, turnover_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(done, total) steps per turnover id; a turnover without steps is absent."""
    ids = list(turnover_ids)
    if not ids:
        return {}
    stmt = (
        select(
            PlanStep.turnover_id,
            func.sum(sql_case((PlanStep.done.is_(True), 1), else_=0)),
            func.count(PlanStep.id),
        )
        .where(PlanStep.turnover_id.in_(ids))
        .group_by(PlanStep.turnover_id)
    )
    return {tid: (int(done or 0), int(total)) for tid, done, total in session.execute(stmt)}


def end_risk(session: Session, turnover_id: int, *, at: datetime, seconds: int) -> bool:
    """Record the end of the time at risk once; False if it was already recorded."""
    result = session.execute(
        update(Turnover)
        .where(Turnover.id == turnover_id, Turnover.risk_ended_at.is_(None))
        .values(risk_ended_at=at, time_at_risk_seconds=seconds, updated_at=at)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def resume_risk(session: Session, turnover_id: int, *, now: datetime) -> None:
    """The plan has open steps again (new answers): the account is back at risk."""
    session.execute(
        update(Turnover)
        .where(Turnover.id == turnover_id)
        .values(risk_ended_at=None, time_at_risk_seconds=None, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )


def at_risk_for_case(session: Session, case_id: int) -> list[Turnover]:
    """A case's turnovers whose time at risk is still running."""
    stmt = (
        select(Turnover)
        .where(Turnover.case_id == case_id, Turnover.risk_ended_at.is_(None))
        .order_by(Turnover.id)
    )
    return list(session.scalars(stmt))


def open_plan_totals(session: Session) -> tuple[int, int]:
    """(done, total) plan steps over every open case's turnovers: the report's
    *recovery plans N% complete* (docs/reports.md)."""
    stmt = (
        select(
            func.coalesce(func.sum(sql_case((PlanStep.done.is_(True), 1), else_=0)), 0),
            func.count(PlanStep.id),
        )
        .join(Turnover, Turnover.id == PlanStep.turnover_id)
        .join(Case, Case.id == Turnover.case_id)
        .where(Case.status.in_(OPEN_STATUSES))
    )
    done, total = session.execute(stmt).one()
    return int(done), int(total)
