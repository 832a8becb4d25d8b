"""The survey's sentences: the ask, the edit line on the timeline, and the plain values the
owner notice and the thread post are drawn from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.common.text import esc, who
from bot.survey.answers import COME_BACK
from bot.survey.models import SurveySummary
from bot.survey.routing import LossFacts
from storage.models import Account, Case, SurveyAnswer

FIELD_WORDS = {
    "stated_reason": "the stated reason",
    "root_cause": "the root cause",
    "controllable": "controllable",
    "competitor": "the competitor",
    "tried": "what was tried",
    "would_come_back": "would come back",
    "notes": "the notes",
}
_SHOWN = ("root_cause", "controllable", "competitor", "would_come_back")
"""Changes shown with their old and new values; long texts are only named."""


def ask_text(case: Case, account: Account, person: str | None, involuntary: bool) -> str:
    """The thread line and DM that ask for the survey."""
    why = " (involuntary: the subscription ended after a failed payment)" if involuntary else ""
    return (
        f":clipboard: *{esc(account.name)}* churned{why}. {who(person)}, please fill in the "
        "cancellation survey: the root cause, not only what the customer said."
    )


def answered_text(by: str | None, *, in_thread: bool = False) -> str:
    """What an answered survey's ask says in its place (edited, same `ts`): in a DM, where
    the answers are; in the case thread, that they follow."""
    where = "below" if in_thread else "in the case thread"
    return (
        f":white_check_mark: {who(by)} filled in the cancellation survey; the answers are {where}."
    )


def reminder_text(case: Case, account: Account, people: list[str | None], headline: str) -> str:
    """A follow-up of an unanswered survey, mentioning whom it concerns."""
    mentions = " ".join(who(p) for p in dict.fromkeys(people) if p)
    return f"{headline}: *{esc(account.name)}* (case #{case.id}). {mentions}".rstrip()


def change_line(actor: str, changes: dict[str, list[Any]], label: Callable[[str], str]) -> str:
    """The timeline line for an edit: who changed what (values for the short fields)."""
    parts = []
    for name, (old, new) in changes.items():
        if name == "competitor_key":
            continue
        if name in _SHOWN:
            parts.append(
                f"{FIELD_WORDS[name]} from {_value(name, old, label)} to {_value(name, new, label)}"
            )
        else:
            parts.append(FIELD_WORDS.get(name, name))
    return f":pencil2: {who(actor)} edited the cancellation survey: {'; '.join(parts)}."


def _value(name: str, value: Any, label: Callable[[str], str]) -> str:
    if value is None or value == "":
        return "_none_"
    if name == "root_cause":
        return f"*{esc(label(value))}*"
    if name == "controllable":
        return "yes" if value else "no"
    if name == "would_come_back":
        return COME_BACK.get(value, str(value)).lower()
    return f"*{esc(str(value))}*"


def loss_facts(
    case: Case, account: Account, answer: SurveyAnswer, label: str, link: str | None
) -> LossFacts:
    return LossFacts(
        case_id=case.id,
        account_name=account.name,
        currency=account.currency,
        arr_lost=answer.arr_lost,
        root_cause_label=label,
        stated_reason=answer.stated_reason,
        competitor=answer.competitor,
        controllable=bool(answer.controllable),
        involuntary=answer.involuntary,
        permalink=link,
    )


def summary_of(answer: SurveyAnswer, label: str) -> SurveySummary:
    return SurveySummary(
        answer_id=answer.id,
        root_cause=label,
        stated_reason=answer.stated_reason,
        competitor=answer.competitor,
        controllable=bool(answer.controllable),
        would_come_back=answer.would_come_back or "",
        tried=answer.tried,
        notes=answer.notes,
        answered_by=answer.answered_by,
        involuntary=answer.involuntary,
    )
