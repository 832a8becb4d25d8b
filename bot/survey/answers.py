"""The survey's fields and their validation: what the modal sends in, what may be saved.

Errors are keyed by the field's block id so the edge can answer Slack with
`response_action: errors` (Slack shows each message under its block; Block Kit reference,
*Handling view submissions*). Nothing is saved until every field validates.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.survey.competitors import NAME_MAX, clean, normalise

TEXT_MAX = 3000
"""A plain-text input holds at most 3000 characters (Block Kit reference)."""


class SurveyField(StrEnum):
    """Block ids (and action ids) of the survey modal's inputs."""

    STATED_REASON = "survey_stated_reason"
    ROOT_CAUSE = "survey_root_cause"
    CONTROLLABLE = "survey_controllable"
    COMPETITOR = "survey_competitor"
    TRIED = "survey_tried"
    WOULD_COME_BACK = "survey_would_come_back"
    NOTES = "survey_notes"


YES_NO = {"yes": True, "no": False}
COME_BACK = {"yes": "Yes", "maybe": "Maybe", "no": "No"}
CATCH_ALL = "other"
"""A root cause that explains nothing by itself: the notes must say what it was."""


@dataclass(frozen=True)
class SurveyForm:
    """What the modal sent, as raw text (None for an empty field or no selection)."""

    stated_reason: str | None = None
    root_cause: str | None = None
    controllable: str | None = None
    competitor: str | None = None
    tried: str | None = None
    would_come_back: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class SurveyAnswers:
    """A validated survey: `root_cause` is a policy reason key, `competitor_key` the
    competitor normalised for counting."""

    stated_reason: str | None
    root_cause: str
    controllable: bool
    competitor: str | None
    competitor_key: str | None
    tried: str | None
    would_come_back: str
    notes: str | None

    def values(self) -> dict[str, Any]:
        """The columns of `survey_answers` this fills in."""
        return {
            "stated_reason": self.stated_reason,
            "root_cause": self.root_cause,
            "controllable": self.controllable,
            "competitor": self.competitor,
            "competitor_key": self.competitor_key,
            "tried": self.tried,
            "would_come_back": self.would_come_back,
            "notes": self.notes,
        }


class InvalidSurvey(ValueError):
    """Field errors keyed by block id; nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def validate(form: SurveyForm, reason_keys: Collection[str], *, involuntary: bool) -> SurveyAnswers:
    """Check every field and return the answers; raises InvalidSurvey with all the field
    errors at once. The stated reason is required unless the churn was involuntary (a
    failed payment: the customer may have said nothing)."""
    errors: dict[str, str] = {}
    stated = _text(form.stated_reason, SurveyField.STATED_REASON, errors)
    if stated is None and not involuntary and SurveyField.STATED_REASON not in errors:
        errors[SurveyField.STATED_REASON] = "Write what the customer said, in their words."
    cause = (form.root_cause or "").strip()
    if cause not in reason_keys:
        errors[SurveyField.ROOT_CAUSE] = (
            "Pick the root cause."
            if not cause
            else "That root cause is no longer in the policy; pick another."
        )
    controllable = YES_NO.get((form.controllable or "").strip())
    if controllable is None:
        errors[SurveyField.CONTROLLABLE] = "Say whether we could have prevented it."
    come_back = (form.would_come_back or "").strip()
    if come_back not in COME_BACK:
        errors[SurveyField.WOULD_COME_BACK] = "Pick yes, maybe or no."
    competitor = clean(form.competitor)
    if competitor is not None and len(competitor) > NAME_MAX:
        errors[SurveyField.COMPETITOR] = f"Keep the competitor's name under {NAME_MAX} characters."
    tried = _text(form.tried, SurveyField.TRIED, errors)
    notes = _text(form.notes, SurveyField.NOTES, errors)
    if cause == CATCH_ALL and notes is None and SurveyField.NOTES not in errors:
        errors[SurveyField.NOTES] = "Say in the notes what the root cause was."
    if errors:
        raise InvalidSurvey(errors)
    assert controllable is not None  # for the type checker: errors were raised otherwise
    return SurveyAnswers(
        stated_reason=stated,
        root_cause=cause,
        controllable=controllable,
        competitor=competitor,
        competitor_key=normalise(competitor),
        tried=tried,
        would_come_back=come_back,
        notes=notes,
    )


def _text(value: str | None, block: SurveyField, errors: dict[str, str]) -> str | None:
    text = (value or "").strip()
    if len(text) > TEXT_MAX:
        errors[block] = f"Keep it under {TEXT_MAX} characters (it has {len(text)})."
        return None
    return text or None


def form_of(values: dict[str, Any]) -> SurveyForm:
    """A form pre-filled from saved answers (`survey_answers` columns), for **Edit survey**."""
    controllable = values.get("controllable")
    return SurveyForm(
        stated_reason=values.get("stated_reason"),
        root_cause=values.get("root_cause"),
        controllable=None if controllable is None else ("yes" if controllable else "no"),
        competitor=values.get("competitor"),
        tried=values.get("tried"),
        would_come_back=values.get("would_come_back"),
        notes=values.get("notes"),
    )
