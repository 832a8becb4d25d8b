"""What a main-contact turnover posts: the plan checklist, the answers-needed prompt, the
root's progress lines and the sales lead. Built with slack_sdk's Block Kit models."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
)

from bot.turnover.models import PlanView, StepView
from bot.turnover.words import answer_lines, esc, human_duration

MAX_STEPS_SHOWN = 45  # a message holds 50 blocks (Slack docs: blocks)


class TurnoverAction(StrEnum):
    """Action ids of the turnover's buttons and checkboxes (`value` carries the id)."""

    FILL = "turnover_fill"  # value: case id; the modal for a case with answers needed
    UPDATE = "turnover_update"  # value: turnover id; the modal again, answers pre-filled
    STEP = "turnover_step"  # checkbox; option value: step id
    ASSIGN = "turnover_assign"  # value: turnover id; the assign modal


def _step_section(step: StepView) -> SectionBlock:
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
    """The plan as a thread message: the answers, one checkbox per step, the buttons."""
    title = f"*Action plan: {esc(plan.contact_name)} left* · plan {plan.percent}% complete"
    text = f"Action plan: {plan.contact_name} left, plan {plan.percent}% complete"
    blocks: list[Any] = [
        SectionBlock(text=MarkdownTextObject(text=title)),
        ContextBlock(elements=[MarkdownTextObject(text=" · ".join(answer_lines(plan.answers)))]),
    ]
    blocks += [_step_section(step) for step in plan.steps[:MAX_STEPS_SHOWN]]
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
    text = f"{who}Main contact left: answers needed (who left, and what happens to their role?)"
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            block_id=f"turnover_fill_{case_id}",
            elements=[
                ButtonElement(
                    text="Fill in turnover details",
                    action_id=TurnoverAction.FILL.value,
                    value=str(case_id),
                    style="primary",
                )
            ],
        ),
    ]
    return text, [block.to_dict() for block in blocks]
