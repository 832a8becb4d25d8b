"""The cancellation survey modal: built from a `SurveyPrompt`, read back into a raw
`SurveyForm` (validated in bot/), and the competitor field's type-ahead options.

Slack's limits (Block Kit reference): option text and description 75 characters, a static
select 100 options, plain-text inputs 3000 characters.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)

from bot.survey.answers import COME_BACK, TEXT_MAX, SurveyField, SurveyForm
from bot.survey.competitors import NAME_MAX
from bot.survey.models import SurveyPrompt
from slack_edge.case_messages import esc
from slack_edge.modals import SurveyMeta, modal

SUBMIT = "survey_submit"
"""Callback id of the survey modal."""
_YES_NO = (Option(text="Yes", value="yes"), Option(text="No", value="no"))


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


def _choice(options: list[Option] | tuple[Option, ...], value: str | None) -> Option | None:
    return next((o for o in options if o.value == value), None) if value else None


def _radio(field: SurveyField, label: str, options: Any, value: str | None) -> InputBlock:
    element = RadioButtonsElement(
        action_id=field, options=list(options), initial_option=_choice(options, value)
    )
    return InputBlock(block_id=field, label=label, element=element)


def survey_modal(prompt: SurveyPrompt) -> dict[str, Any]:
    """The survey modal, pre-filled from `prompt.form` (the saved answers when editing)."""
    form = prompt.form
    reasons = [
        Option(text=r.label, value=r.key, description=r.hint or None) for r in prompt.reasons
    ]
    come_back = [Option(text=label, value=key) for key, label in COME_BACK.items()]
    named = form.competitor[:NAME_MAX] if form.competitor else None
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
                options=reasons,
                initial_option=_choice(reasons, form.root_cause),
            ),
        ),
        _radio(SurveyField.CONTROLLABLE, "Could we have prevented it?", _YES_NO, form.controllable),
        InputBlock(
            block_id=SurveyField.COMPETITOR,
            label="Competitor they moved to",
            optional=True,
            hint="Type to pick one named in an earlier survey, or a new name; blank: none.",
            element=ExternalDataSelectElement(
                action_id=SurveyField.COMPETITOR,
                placeholder="Type a competitor's name",
                min_query_length=0,
                initial_option=Option(text=named, value=named) if named else None,
            ),
        ),
        _text_input(SurveyField.TRIED, "What was tried", form.tried, optional=True),
        _radio(
            SurveyField.WOULD_COME_BACK, "Would they come back?", come_back, form.would_come_back
        ),
        _text_input(SurveyField.NOTES, "Notes", form.notes, optional=True),
    ]
    submit = "Save" if prompt.editing else "Submit"
    return modal(SUBMIT, "Cancellation survey", submit, blocks, SurveyMeta(prompt.answer_id))


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
