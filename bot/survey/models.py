"""What the Slack edge needs to draw the survey: plain values, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass

from bot.survey.answers import SurveyForm


@dataclass(frozen=True)
class ReasonChoice:
    """One option of the root-cause select: the policy reason's key, label and hint."""

    key: str
    label: str
    hint: str | None = None


@dataclass(frozen=True)
class SurveyPrompt:
    """The survey modal for one churn of a case, pre-filled (`form`), or the saved answers
    when `editing`. An involuntary churn (failed payment) pre-selects nothing."""

    answer_id: int
    case_id: int
    account_name: str
    churn_number: int
    involuntary: bool
    editing: bool
    reasons: tuple[ReasonChoice, ...]
    form: SurveyForm


@dataclass(frozen=True)
class SurveySummary:
    """Saved answers as people read them (labels, not keys), for the thread and root."""

    answer_id: int
    root_cause: str
    stated_reason: str | None
    competitor: str | None
    controllable: bool
    would_come_back: str
    tried: str | None
    notes: str | None
    answered_by: str | None
    involuntary: bool
