"""Slack's side of a main-contact turnover: the modal, the checklist, the assign modal.

Built with slack_sdk's Block Kit models, so Slack's limits are checked before Slack sees a
payload. The modal asks every question of the playbook (contract section 7); its
private_metadata is a typed `TurnoverMeta`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
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
from slack_sdk.models.views import View

from bot.turnover.answers import ANSWER_ENUMS, NAME_MAX, QUESTIONS, Answers
from bot.turnover.views import PlanView
from bot.turnover.words import esc, human_duration


class TurnoverAction(StrEnum):
    """Action ids of the turnover's buttons and checkboxes (`value` carries the id)."""

    FILL = "turnover_fill"  # value: case id; opens the modal for a case with answers needed
    UPDATE = "turnover_update"  # value: turnover id; the modal again, answers pre-filled
    STEP = "turnover_step"  # checkbox; option value: step id
    ASSIGN = "turnover_assign"  # value: turnover id; opens the assign modal


class TurnoverView(StrEnum):
    """Callback ids of the turnover's modals."""

    ANSWERS = "turnover_modal"
    ASSIGN = "turnover_assign_modal"


_HINTS = {
    "other_contact_name": "Only if we have another contact.",
    "new_company": "Only if they went to another company; it goes to sales as a lead.",
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
    """What the turnover modal carries: the account, and the case / turnover it edits."""

    account_id: int
    case_id: int | None = None
    turnover_id: int | None = None
    note: str | None = None
    channel: str | None = None

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None})

    @classmethod
    def from_json(cls, text: str) -> TurnoverMeta:
        """Raises ValueError when the metadata is not ours (a forged or stale view)."""
        try:
            data = json.loads(text or "{}")
            return cls(
                account_id=int(data["account_id"]),
                case_id=int(data["case_id"]) if data.get("case_id") is not None else None,
                turnover_id=int(data["turnover_id"]) if data.get("turnover_id") else None,
                note=str(data["note"]) if data.get("note") else None,
                channel=str(data["channel"]) if data.get("channel") else None,
            )
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            raise ValueError(f"not turnover modal metadata: {exc}") from None


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
    view = View(
        type="modal",
        callback_id=TurnoverView.ANSWERS.value,
        title="Main contact left",
        submit="Save" if answers is None else "Update",
        close="Cancel",
        private_metadata=meta.to_json(),
        blocks=blocks,
    )
    return view.to_dict()


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
    if errors:
        return None, errors
    answers = Answers(**picked, **texts)
    problems = answers.problems()
    return (None, problems) if problems else (answers.normalized(), {})


def _step_section(step: Any) -> SectionBlock:
    done = Option(value=str(step.id), text="Done")
    mark = ":white_check_mark:" if step.done else ":white_large_square:"
    text = f"{mark} {'~' + esc(step.text) + '~' if step.done else esc(step.text)}"
    if step.assignee:
        text += f"  ·  <@{step.assignee}>"
    return SectionBlock(
        block_id=f"step_{step.id}",
        text=MarkdownTextObject(text=text[:3000]),
        accessory=CheckboxesElement(
            action_id=TurnoverAction.STEP.value,
            options=[done],
            initial_options=[done] if step.done else None,
        ),
    )


def checklist(plan: PlanView) -> tuple[str, list[dict]]:
    """The plan as a thread message: one checkbox per step, progress, the two buttons."""
    title = f"*Action plan: {esc(plan.contact_name)} left* · plan {plan.percent}% complete"
    text = f"Action plan: {plan.contact_name} left, plan {plan.percent}% complete"
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=title))]
    blocks += [_step_section(step) for step in plan.steps[:45]]
    if plan.time_at_risk is not None:
        at_risk = f"Time at risk: {human_duration(plan.time_at_risk)}"
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=at_risk)]))
    value = str(plan.turnover_id)
    blocks.append(
        ActionsBlock(
            block_id=f"turnover_{plan.turnover_id}",
            elements=[
                ButtonElement(text="Update turnover", action_id=TurnoverAction.UPDATE, value=value),
                ButtonElement(text="Assign a step", action_id=TurnoverAction.ASSIGN, value=value),
            ],
        )
    )
    return text, [block.to_dict() for block in blocks]


def fill_in_prompt(case_id: int, owner: str | None) -> tuple[str, list[dict]]:
    """The thread reply on a case opened without turnover answers (e.g. by a webhook)."""
    who = f"<@{owner}> " if owner else ""
    text = f"{who}Answers needed: who left, and what happens to their role?"
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Fill in turnover details",
                    action_id=TurnoverAction.FILL.value,
                    value=str(case_id),
                    style="primary",
                )
            ]
        ),
    ]
    return text, [block.to_dict() for block in blocks]


def assign_modal(plan: PlanView) -> dict:
    """Pick a step of this plan and a person to give it to."""
    options = [Option(value=str(s.id), text=s.text[:75]) for s in plan.steps if not s.done]
    blocks: list[Any] = [
        InputBlock(
            block_id="step",
            label="Step",
            element=StaticSelectElement(action_id="step", options=options or None),
        ),
        InputBlock(
            block_id="assignee",
            label="Assign to",
            element=UserSelectElement(action_id="assignee"),
        ),
    ]
    if not options:
        blocks = [SectionBlock(text="Every step of this plan is done.")]
    view = View(
        type="modal",
        callback_id=TurnoverView.ASSIGN.value,
        title="Assign a step",
        submit="Assign" if options else None,
        close="Close",
        private_metadata=json.dumps({"turnover_id": plan.turnover_id}),
        blocks=blocks,
    )
    return view.to_dict()
