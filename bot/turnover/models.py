"""What the Slack side receives about a turnover: plain values, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.turnover.answers import Answers


@dataclass(frozen=True)
class StepView:
    """One plan step as the checklist shows it."""

    id: int
    key: str
    text: str
    assignee: str | None
    done: bool
    done_by: str | None


@dataclass(frozen=True)
class PlanView:
    """One departed contact's plan: answers, steps in order, progress (0 to 100) and, once it
    stopped, the time at risk."""

    turnover_id: int
    case_id: int
    contact_name: str
    answers: Answers
    steps: tuple[StepView, ...]
    percent: int
    time_at_risk: timedelta | None = None
