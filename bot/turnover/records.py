"""Turnover changes inside one unit of work: record, update, tick, assign, stop the clock.

These functions take the caller's session and the time, apply the plan rules
(bot/turnover/plan.py) and write rows (storage/turnover.py). They say nothing to Slack: the
service that calls them queues the thread lines and the root update in the same
transaction (the outbox), so a change and what it causes commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.turnover.answers import Answers
from bot.turnover.models import PlanView, StepView
from bot.turnover.plan import (
    PlanContext,
    StepState,
    derive_plan,
    new_plan,
    percent_complete,
    rederive,
    time_at_risk,
)
from bot.turnover.policy import TurnoverPolicy
from storage import turnover as store
from storage.models import PlanStep, Turnover


class NotAllowed(Exception):
    """The person may not change this plan; the message is the sentence to show them."""


@dataclass(frozen=True)
class Progress:
    """One departed contact's plan progress, for the case root."""

    turnover_id: int
    contact_name: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        return percent_complete(self.done, self.total)


@dataclass(frozen=True)
class Tick:
    """What a tick changed: `changed` is False when the step already was in that state;
    `risk_ended` is True when this tick finished the plan and stopped the time at risk."""

    step: PlanStep
    turnover: Turnover
    changed: bool
    risk_ended: bool


def _states(rows: Sequence[PlanStep]) -> list[StepState]:
    return [
        StepState(r.key, r.text, r.assignee, r.done, r.done_by, r.done_at, r.position) for r in rows
    ]


def record(
    session: Session,
    *,
    case_id: int,
    account_id: int,
    answers: Answers,
    policy: TurnoverPolicy,
    context: PlanContext,
    by: str | None,
    now: datetime,
) -> tuple[Turnover, list[PlanStep]]:
    """Store a new departed contact on a case with its derived plan (none done yet).

    The time at risk starts now (UTC), when the team tells us. Raises ValueError when the
    answers still have problems (the modal checks them first).
    """
    if problems := answers.problems():
        raise ValueError(f"turnover answers: {problems}")
    turnover = store.create(
        session,
        case_id=case_id,
        account_id=account_id,
        answers=answers.as_columns(),
        learned_at=now,
        created_by=by,
        now=now,
    )
    steps = store.save_plan(session, turnover.id, new_plan(derive_plan(answers, policy, context)))
    return turnover, steps


def update(
    session: Session,
    turnover: Turnover,
    *,
    answers: Answers,
    policy: TurnoverPolicy,
    context: PlanContext,
    now: datetime,
) -> list[PlanStep]:
    """New answers for a departed contact: re-derive the plan keeping done steps done.

    If the plan gains an open step after its time at risk had stopped, the clock runs
    again (while the case is open the account is back at risk).
    """
    if problems := answers.problems():
        raise ValueError(f"turnover answers: {problems}")
    for column, value in answers.as_columns().items():
        setattr(turnover, column, value)
    turnover.updated_at = now
    existing = _states(store.steps(session, turnover.id))
    merged = rederive(existing, derive_plan(answers, policy, context))
    rows = store.save_plan(session, turnover.id, merged)
    if turnover.risk_ended_at is not None and not all(step.done for step in merged):
        store.resume_risk(session, turnover.id, now=now)
        session.refresh(turnover)
    return rows


def tick(session: Session, step_id: int, *, done: bool, by: str, now: datetime) -> Tick | None:
    """Tick (or untick) a step; None when the step does not exist.

    Ticking the last open step stops the turnover's time at risk (recorded once).
    """
    step = store.get_step(session, step_id)
    if step is None:
        return None
    turnover = session.get(Turnover, step.turnover_id)
    assert turnover is not None  # a step always belongs to a turnover (foreign key)
    changed = store.set_done(session, step_id, done=done, by=by, at=now)
    session.refresh(step)
    risk_ended = False
    if changed:
        done_count, total = store.progress(session, [turnover.id])[turnover.id]
        if done_count == total:
            seconds = int(time_at_risk(turnover.learned_at, now).total_seconds())
            risk_ended = store.end_risk(session, turnover.id, at=now, seconds=seconds)
        session.refresh(turnover)
    return Tick(step=step, turnover=turnover, changed=changed, risk_ended=risk_ended)


def case_closed(session: Session, case_id: int, now: datetime) -> list[Turnover]:
    """The case closed: stop the time at risk of every turnover still running; returns
    those it stopped (for a timeline line each)."""
    stopped = []
    for turnover in store.at_risk_for_case(session, case_id):
        seconds = int(time_at_risk(turnover.learned_at, now).total_seconds())
        if store.end_risk(session, turnover.id, at=now, seconds=seconds):
            session.refresh(turnover)
            stopped.append(turnover)
    return stopped


def progress_of_case(session: Session, case_id: int) -> list[Progress]:
    """Each departed contact's plan progress on a case, oldest first."""
    turnovers = store.for_case(session, case_id)
    counts = store.progress(session, [t.id for t in turnovers])
    return [Progress(t.id, t.contact_name, *counts.get(t.id, (0, 0))) for t in turnovers]


def plan_view(session: Session, turnover: Turnover) -> PlanView:
    """A turnover and its plan as plain values for the checklist and the modal."""
    rows = store.steps(session, turnover.id)
    seconds = turnover.time_at_risk_seconds
    return PlanView(
        turnover_id=turnover.id,
        case_id=turnover.case_id,
        contact_name=turnover.contact_name,
        answers=Answers.from_columns(turnover),
        steps=tuple(StepView(r.id, r.key, r.text, r.assignee, r.done, r.done_by) for r in rows),
        percent=percent_complete(sum(1 for r in rows if r.done), len(rows)),
        time_at_risk=timedelta(seconds=seconds) if seconds is not None else None,
    )
