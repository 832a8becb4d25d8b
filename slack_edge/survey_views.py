"""The cancellation survey in Block Kit: the ask (a button), the modal, the answers posted
in the case thread (with **Edit survey**), and reading a submitted modal back.

Built with slack_sdk's models so Slack's limits (75-character option texts, 3000-character
inputs, 100 options) are checked before Slack sees the payload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.messages import esc
from bot.survey.answers import COME_BACK, TEXT_MAX, SurveyField, SurveyForm
from bot.survey.competitors import NAME_MAX
from bot.survey.views import SurveyPrompt, SurveySummary

SUBMIT = "survey_submit"
"""Callback id of the survey modal."""
FILL_LABEL = "Fill in the cancellation survey"
EDIT_LABEL = "Edit survey"


class SurveyAction(StrEnum):
    """Action ids of the survey's buttons; the value is the survey's id."""

    FILL = "survey_fill"
    EDIT = "survey_edit"


@dataclass(frozen=True)
class SurveyMetadata:
    """The modal's private_metadata: which survey, and whether this is an edit."""

    answer_id: int
    editing: bool = False

    def dumps(self) -> str:
        return json.dumps({"answer_id": self.answer_id, "editing": self.editing})

    @classmethod
    def loads(cls, text: str) -> SurveyMetadata:
        """Raises ValueError on anything that is not what `dumps` wrote."""
        data = json.loads(text or "{}")
        if not isinstance(data, dict) or not isinstance(data.get("answer_id"), int):
            raise ValueError("survey modal metadata without a survey id")
        return cls(answer_id=data["answer_id"], editing=bool(data.get("editing")))


def ask_blocks(text: str, answer_id: int) -> list[dict[str, Any]]:
    """A line with the **Fill in the cancellation survey** button (DM and thread)."""
    button = ButtonElement(
        text=FILL_LABEL, action_id=SurveyAction.FILL, value=str(answer_id), style="primary"
    )
    return [
        SectionBlock(text=MarkdownTextObject(text=text[:3000])).to_dict(),
        ActionsBlock(block_id=f"survey_ask_{answer_id}", elements=[button]).to_dict(),
    ]


def _yes_no(value: str | None) -> Option | None:
    return {"yes": Option(text="Yes", value="yes"), "no": Option(text="No", value="no")}.get(
        value or ""
    )


def _intro(prompt: SurveyPrompt) -> list[Any]:
    churn = f" (churn #{prompt.churn_number})" if prompt.churn_number > 1 else ""
    head = f"*{esc(prompt.account_name[:200])}*, case #{prompt.case_id}{churn}"
    lines = [head, "Record the *root cause*: why they really left, not only what they said."]
    blocks: list[Any] = []
    if prompt.involuntary:
        warning = (
            ":warning: *Involuntary churn*: the subscription ended after a failed payment. "
            "Nothing is pre-selected; record what you know."
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=warning)))
    blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(lines))))
    return blocks


def survey_modal(prompt: SurveyPrompt) -> dict[str, Any]:
    """The survey modal, pre-filled from `prompt.form`."""
    form = prompt.form
    options = [
        Option(text=r.label, value=r.key, description=r.hint or None) for r in prompt.reasons
    ]
    chosen = next((o for o in options if o.value == form.root_cause), None)
    come_back = [Option(text=label, value=key) for key, label in COME_BACK.items()]
    competitor = (
        Option(text=form.competitor[:NAME_MAX], value=form.competitor[:NAME_MAX])
        if form.competitor
        else None
    )
    blocks = [
        *_intro(prompt),
        _text_input(
            SurveyField.STATED_REASON,
            "Stated reason (what the customer said)",
            form.stated_reason,
            optional=prompt.involuntary,
        ),
        InputBlock(
            block_id=SurveyField.ROOT_CAUSE,
            label="Root cause",
            hint="The cause we could act on, not the symptom. The competitor goes below.",
            element=StaticSelectElement(
                action_id=SurveyField.ROOT_CAUSE,
                placeholder="Pick the root cause",
                options=options,
                initial_option=chosen,
            ),
        ),
        InputBlock(
            block_id=SurveyField.CONTROLLABLE,
            label="Could we have prevented it?",
            element=RadioButtonsElement(
                action_id=SurveyField.CONTROLLABLE,
                options=[Option(text="Yes", value="yes"), Option(text="No", value="no")],
                initial_option=_yes_no(form.controllable),
            ),
        ),
        InputBlock(
            block_id=SurveyField.COMPETITOR,
            label="Competitor they moved to",
            optional=True,
            hint="Type to pick one named before, or a new name.",
            element=ExternalDataSelectElement(
                action_id=SurveyField.COMPETITOR,
                placeholder="None",
                min_query_length=0,
                initial_option=competitor,
            ),
        ),
        _text_input(SurveyField.TRIED, "What was tried", form.tried, optional=True),
        InputBlock(
            block_id=SurveyField.WOULD_COME_BACK,
            label="Would they come back?",
            element=RadioButtonsElement(
                action_id=SurveyField.WOULD_COME_BACK,
                options=come_back,
                initial_option=next(
                    (o for o in come_back if o.value == form.would_come_back), None
                ),
            ),
        ),
        _text_input(SurveyField.NOTES, "Notes", form.notes, optional=True),
    ]
    return View(
        type="modal",
        callback_id=SUBMIT,
        title="Cancellation survey",
        submit="Save" if prompt.editing else "Submit",
        close="Cancel",
        private_metadata=SurveyMetadata(prompt.answer_id, prompt.editing).dumps(),
        blocks=blocks,
    ).to_dict()


def _text_input(field: SurveyField, label: str, value: str | None, *, optional: bool) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=label,
        optional=optional,
        element=PlainTextInputElement(
            action_id=field,
            multiline=True,
            max_length=TEXT_MAX,
            initial_value=(value or "")[:TEXT_MAX] or None,
        ),
    )


def read_form(state_values: dict[str, Any]) -> SurveyForm:
    """The submitted modal's `view.state.values` as a raw form (validated in bot/)."""

    def leaf(field: SurveyField) -> dict[str, Any]:
        return (state_values.get(field) or {}).get(field) or {}

    def text(field: SurveyField) -> str | None:
        return leaf(field).get("value")

    def selected(field: SurveyField) -> str | None:
        return (leaf(field).get("selected_option") or {}).get("value")

    return SurveyForm(
        stated_reason=text(SurveyField.STATED_REASON),
        root_cause=selected(SurveyField.ROOT_CAUSE),
        controllable=selected(SurveyField.CONTROLLABLE),
        competitor=selected(SurveyField.COMPETITOR),
        tried=text(SurveyField.TRIED),
        would_come_back=selected(SurveyField.WOULD_COME_BACK),
        notes=text(SurveyField.NOTES),
    )


def competitor_options(names: list[str]) -> list[dict[str, Any]]:
    """The type-ahead answer (`options` of an external select), at most 100 options."""
    return [Option(text=name[:NAME_MAX], value=name[:NAME_MAX]).to_dict() for name in names[:100]]


def answers_blocks(summary: SurveySummary, header: str) -> list[dict[str, Any]]:
    """The answers in the case thread: root cause and stated reason side by side, then the
    rest, and the **Edit survey** button."""
    stated = f"“{esc(summary.stated_reason[:1900])}”" if summary.stated_reason else "_not given_"
    competitor = esc(summary.competitor) if summary.competitor else "_none named_"
    fields = [
        f"*Root cause*\n{esc(summary.root_cause)}",
        f"*Stated reason*\n{stated}",
        f"*Competitor*\n{competitor}",
        f"*Controllable*\n{'Yes' if summary.controllable else 'No'}",
        f"*Would come back*\n{COME_BACK.get(summary.would_come_back, summary.would_come_back)}",
    ]
    blocks: list[Any] = [
        SectionBlock(text=MarkdownTextObject(text=header[:3000])),
        SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields]),
    ]
    for title, value in (("What was tried", summary.tried), ("Notes", summary.notes)):
        if value:
            blocks.append(
                SectionBlock(text=MarkdownTextObject(text=f"*{title}*\n{esc(value)}"[:3000]))
            )
    edit = ButtonElement(text=EDIT_LABEL, action_id=SurveyAction.EDIT, value=str(summary.answer_id))
    blocks.append(ActionsBlock(block_id=f"survey_edit_{summary.answer_id}", elements=[edit]))
    return [b.to_dict() for b in blocks]


def loading_modal() -> dict[str, Any]:
    """Shown at once while the survey is read from the database (trigger ids last 3 s)."""
    return View(
        type="modal",
        title="Cancellation survey",
        close="Close",
        blocks=[ContextBlock(elements=[PlainTextObject(text="Loading the survey…")])],
    ).to_dict()


def digest_blocks(sections: list[str]) -> list[dict[str, Any]]:
    """The monthly digest: one section per part (each already within 3000 characters)."""
    return [SectionBlock(text=MarkdownTextObject(text=s[:3000])).to_dict() for s in sections[:50]]
