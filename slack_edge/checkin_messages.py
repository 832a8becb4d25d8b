"""Save check-ins in Slack (docs/reports.md, *Did the save last?*): the question's three
buttons (the Downgraded modal is checkin_modals.py). Action ids live here because the
question and the listeners share them; a button's value is the check-in's id."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from slack_edge.confirm import confirm_churned


class CheckinAction(StrEnum):
    """Action ids of the check-in's buttons."""

    CUSTOMER = "checkin_customer"
    CHURNED = "checkin_churned"
    DOWNGRADED = "checkin_downgraded"


def checkin_blocks(text: str, checkin_id: int, answered: bool) -> list[dict[str, Any]]:
    """The question with Still a customer / Churned / Downgraded, or the answer alone."""
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=text[:3000]))]
    if not answered:
        value = str(checkin_id)
        blocks.append(
            ActionsBlock(
                block_id="checkin",
                elements=[
                    ButtonElement(
                        text="Still a customer",
                        action_id=CheckinAction.CUSTOMER.value,
                        value=value,
                        style="primary",
                    ),
                    ButtonElement(
                        text="Churned",
                        action_id=CheckinAction.CHURNED.value,
                        value=value,
                        style="danger",
                        confirm=confirm_churned(
                            "This save is recorded as not lasting: the customer churned.",
                            "Churned",
                        ),
                    ),
                    ButtonElement(
                        text="Downgraded…", action_id=CheckinAction.DOWNGRADED.value, value=value
                    ),
                ],
            )
        )
    return [block.to_dict() for block in blocks]
