"""Save check-ins in Slack (docs/reports.md, *Did the save last?*): the question's three buttons and
the Downgraded modal. Action ids live here because the question and the listeners share
them; a button's value is the check-in's id."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)

from slack_edge.confirm import confirm_churned
from slack_edge.modals import CheckinMeta, modal

DOWNGRADE_VIEW = "checkin_downgrade_view"
NEW_ARR = "new_arr"


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


def downgrade_modal(checkin_id: int, account_name: str, arr_saved: str) -> dict:
    """Asks for the ARR the account kept (required, less than the ARR saved)."""
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{account_name[:200]}* was saved with {arr_saved} ARR. What is it now?"
            )
        ),
        InputBlock(
            block_id=NEW_ARR,
            label="New ARR",
            element=PlainTextInputElement(action_id=NEW_ARR, placeholder="e.g. 40000"),
        ),
    ]
    return modal(DOWNGRADE_VIEW, "Downgraded", "Save", blocks, CheckinMeta(checkin_id))
