"""The cancellation survey's messages: the ask (with **Fill in the cancellation survey**),
the answers posted in the case thread (with **Edit survey**), and the monthly digest.

Built with slack_sdk's models so Slack's limits are checked before Slack sees the payload.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock

from bot.survey.answers import COME_BACK
from bot.survey.models import SurveySummary
from slack_edge.case_messages import esc

FILL_LABEL = "Fill in the cancellation survey"
EDIT_LABEL = "Edit survey"


class SurveyAction(StrEnum):
    """Action ids of the survey's buttons; the value is the survey's id."""

    FILL = "survey_fill"
    EDIT = "survey_edit"


def ask_blocks(text: str, answer_id: int) -> list[dict[str, Any]]:
    """A line with the **Fill in the cancellation survey** button (DM and thread)."""
    button = ButtonElement(
        text=FILL_LABEL, action_id=SurveyAction.FILL, value=str(answer_id), style="primary"
    )
    return [
        SectionBlock(text=MarkdownTextObject(text=text[:3000])).to_dict(),
        ActionsBlock(block_id=f"survey_ask_{answer_id}", elements=[button]).to_dict(),
    ]


def answered_blocks(text: str, answer_id: int, may_edit: bool) -> list[dict[str, Any]]:
    """An answered survey's DM, edited in place of the ask: the line, and **Edit survey**
    for a person who may edit it."""
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=text[:3000]))]
    if may_edit:
        edit = ButtonElement(text=EDIT_LABEL, action_id=SurveyAction.EDIT, value=str(answer_id))
        blocks.append(ActionsBlock(block_id=f"survey_edit_{answer_id}", elements=[edit]))
    return [b.to_dict() for b in blocks]


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
            text = f"*{title}*\n{esc(value)}"[:3000]
            blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))
    edit = ButtonElement(text=EDIT_LABEL, action_id=SurveyAction.EDIT, value=str(summary.answer_id))
    blocks.append(ActionsBlock(block_id=f"survey_edit_{summary.answer_id}", elements=[edit]))
    return [b.to_dict() for b in blocks]


def digest_blocks(sections: list[str]) -> list[dict[str, Any]]:
    """The monthly digest: one section per part (each already within 3000 characters)."""
    return [SectionBlock(text=MarkdownTextObject(text=s[:3000])).to_dict() for s in sections[:50]]
