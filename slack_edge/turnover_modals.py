"""The turnover modal (every question of the playbook, docs/turnover.md) and the assign
modal, with the typed `private_metadata` they carry."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)

from bot.common.vocab import Coverage
from bot.turnover.answers import ANSWER_ENUMS, NAME_MAX, QUESTIONS, Answers
from bot.turnover.models import PlanView
from bot.turnover.words import esc
from slack_edge.modals import METADATA_VERSION, modal


class TurnoverView(StrEnum):
    """Callback ids of the turnover's modals."""

    ANSWERS = "turnover_modal"
    ASSIGN = "turnover_assign_modal"


_HINTS = {
    "other_contact_name": "Only if we have another contact.",
    "new_company": "Only if they went to another company; sales gets it as a lead.",
    "competitor": "Only if the replacement used a competitor.",
}
_OPTIONAL_TEXT = ("other_contact_name", "new_company", "competitor", "note")
_ORDER = (
    "contact_name",
    "learned_timing",
    "coverage",
    "other_contact_name",
    "destination",
    "new_company",
    "role_fate",
    "replacement",
    "competitor",
    "note",
)


@dataclass(frozen=True)
class TurnoverMeta:
    """What the turnover modal carries: the account, the case or turnover it edits, and
    where the request came from (so the confirmation goes back there)."""

    account_id: int
    case_id: int | None = None
    turnover_id: int | None = None
    note: str | None = None
    source: str = "/churn"
    response_url: str | None = None
    response_url_issued: str | None = None  # when Slack issued it (ISO 8601, UTC)

    def encode(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        if self.note:
            data["note"] = self.note[:1500]  # private_metadata holds 3000 characters
        return json.dumps({"v": METADATA_VERSION} | data)

    @classmethod
    def decode(cls, text: str | None) -> TurnoverMeta:
        """Raises ValueError when the metadata is not a turnover modal's (forged or stale)."""
        try:
            data = json.loads(text or "{}")
            if data.get("v", 1) != METADATA_VERSION:
                raise ValueError("version")
            known = {f.name for f in fields(cls)}
            meta = cls(**{k: v for k, v in data.items() if k in known})
            ints = (meta.account_id, meta.case_id or 0, meta.turnover_id or 0)
            if not all(isinstance(n, int) and not isinstance(n, bool) for n in ints):
                raise TypeError("ids")
            return meta
        except (AttributeError, TypeError, ValueError) as exc:
            raise ValueError(f"not turnover modal metadata: {exc}") from None


@dataclass(frozen=True)
class AssignMeta:
    """The turnover whose step the assign modal gives to someone."""

    turnover_id: int


def _radio(name: str, initial: str | None) -> InputBlock:
    options = [Option(value=m.value, text=m.label) for m in ANSWER_ENUMS[name]]
    chosen = next((o for o in options if o.value == initial), None)
    return InputBlock(
        block_id=name,
        label=QUESTIONS[name],
        element=RadioButtonsElement(action_id=name, options=options, initial_option=chosen),
    )


def _text(name: str, initial: str | None) -> InputBlock:
    element = PlainTextInputElement(
        action_id=name,
        initial_value=initial or None,
        multiline=name == "note",
        max_length=2000 if name == "note" else NAME_MAX,
    )
    return InputBlock(
        block_id=name,
        label=QUESTIONS[name],
        element=element,
        optional=name in _OPTIONAL_TEXT,
        hint=_HINTS.get(name),
    )


def turnover_modal(account_label: str, meta: TurnoverMeta, answers: Answers | None) -> dict:
    """The turnover modal; `answers` pre-fills it (Update turnover), None starts empty."""
    current = answers.as_columns() if answers else {"note": meta.note}
    intro = f"*Account:* {esc(account_label)}\nWho left, and what happens next? "
    intro += "The answers decide the action plan and the risk level."
    blocks: list[Any] = [ContextBlock(elements=[MarkdownTextObject(text=intro)])]
    for name in _ORDER:
        make = _radio if name in ANSWER_ENUMS else _text
        blocks.append(make(name, current.get(name)))
    submit = "Save" if answers is None else "Update"
    return modal(TurnoverView.ANSWERS.value, "Main contact left", submit, blocks, meta.encode())


def read_answers(values: dict[str, Any]) -> tuple[Answers | None, dict[str, str]]:
    """The submitted answers, or the inline errors by block id (`response_action: errors`)."""
    picked: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, enum in ANSWER_ENUMS.items():
        option = (values.get(name, {}).get(name) or {}).get("selected_option") or {}
        try:
            picked[name] = enum(option.get("value"))
        except ValueError:
            errors[name] = "Pick one."
    texts = {
        name: (values.get(name, {}).get(name) or {}).get("value")
        for name in ("contact_name", *_OPTIONAL_TEXT)
    }
    if errors:  # say everything at once: the missing names too
        if not (texts["contact_name"] or "").strip():
            errors["contact_name"] = "Enter the name of the contact who left."
        if (
            picked.get("coverage") == Coverage.OTHER_CONTACT
            and not (texts["other_contact_name"] or "").strip()
        ):
            errors["other_contact_name"] = "Name the other contact (or pick “No other contact”)."
        return None, errors
    answers = Answers(**picked, **texts)
    problems = answers.problems()
    return (None, problems) if problems else (answers.normalized(), {})


def assign_modal(plan: PlanView) -> dict:
    """Pick an open step of this plan and the person to give it to."""
    options = [Option(value=str(s.id), text=s.text[:75]) for s in plan.steps if not s.done]
    meta = json.dumps({"v": METADATA_VERSION} | asdict(AssignMeta(plan.turnover_id)))
    if not options:
        blocks: list[Any] = [SectionBlock(text="Every step of this plan is done.")]
        return modal(TurnoverView.ASSIGN.value, "Assign a step", "OK", blocks, meta)
    blocks = [
        InputBlock(
            block_id="step",
            label="Step",
            element=StaticSelectElement(action_id="step", options=options),
        ),
        InputBlock(
            block_id="assignee", label="Assign to", element=UserSelectElement(action_id="assignee")
        ),
    ]
    return modal(TurnoverView.ASSIGN.value, "Assign a step", "Assign", blocks, meta)


def read_assignment(values: dict[str, Any]) -> tuple[int, str] | None:
    """The chosen (step id, user id), or None when the submission lacks them."""
    try:
        step = values["step"]["step"]["selected_option"]["value"]
        user = values["assignee"]["assignee"]["selected_user"]
        return int(step), str(user)
    except (KeyError, TypeError, ValueError):
        return None
