"""When an unanswered survey is followed up, and when the monthly digest runs: durable
scheduled steps with unique keys (claimed by the step runner like every other follow-up).

The survey follows the escalation ladder (docs/escalation.md), counted from
when it was asked: at `acknowledge_within` the owner is reminded; at `escalate_after` the
managers are brought in; then every `repeat_every` owner and managers again, until it is
answered or withdrawn. Landing times wait for business hours.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.common.vocab import StepKind
from bot.followups import service as followups
from bot.hours.reach import ladder_due
from bot.policy import Policy
from bot.survey.digest import next_run
from bot.survey.policy import MonthlySchedule
from storage import steps as step_store
from storage.models import SurveyAnswer

NUDGE = StepKind.SURVEY_NUDGE
ESCALATE = StepKind.SURVEY_ESCALATE
REPEAT = StepKind.SURVEY_REPEAT
DIGEST = StepKind.SURVEY_DIGEST
LADDER = (NUDGE, ESCALATE, REPEAT)


def key_prefix(answer: SurveyAnswer) -> str:
    """Every follow-up step of one survey starts with this (one survey per churn)."""
    return f"survey:{answer.id}:"


def survey_asked(session: Session, policy: Policy, answer: SurveyAnswer, now: datetime) -> None:
    """Schedule the reminder and the escalation for a survey just asked."""
    followups.first_rungs(
        session,
        policy,
        (NUDGE, ESCALATE),
        key_prefix=key_prefix(answer),
        start=answer.asked_at,
        now=now,
        case_id=answer.case_id,
        payload={"answer_id": answer.id},
        owner=answer.asked_to,
    )


def schedule_repeat(
    session: Session, policy: Policy, answer: SurveyAnswer, n: int, now: datetime
) -> None:
    """Repeat number `n` (2, 3, …), `repeat_every` after now."""
    step_store.schedule(
        session,
        key=f"{key_prefix(answer)}{REPEAT}:{n}",
        kind=REPEAT,
        due_at=ladder_due(session, policy, answer.asked_to, now, policy.escalation.repeat_every),
        now=now,
        case_id=answer.case_id,
        payload={"answer_id": answer.id, "n": n},
    )


def survey_closed(session: Session, answer: SurveyAnswer, now: datetime) -> int:
    """Answered or withdrawn: its pending follow-ups stop. Returns how many."""
    return step_store.cancel(
        session, case_id=answer.case_id, kinds=LADDER, now=now, key_prefix=key_prefix(answer)
    )


def schedule_digest(
    session: Session, schedule: MonthlySchedule | None, policy: Policy, now: datetime
) -> bool:
    """Make sure the next monthly digest is a step (one per month, whoever asks first);
    True when this call added it. Off (None) schedules nothing."""
    if schedule is None:
        return False
    due = next_run(schedule, now, policy.timezone)
    month = due.astimezone(policy.timezone)
    return step_store.schedule(
        session,
        key=f"survey_digest:{month:%Y-%m}",
        kind=DIGEST,
        due_at=due,
        now=now,
    )
