"""Finance in Slack: the pre-renewal question's Yes / Hold buttons (the Hold modal is
finance_modals.py).

Action ids live here because the question and the listeners share them; the button's
value is the renewal check's id.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)


class RenewalAction(StrEnum):
    """Action ids of the pre-renewal question's buttons."""

    YES = "renewal_yes"
    HOLD = "renewal_hold"
    RELEASE = "renewal_release"


def renewal_blocks(text: str, check_id: int, *, answered: bool, held: bool = False) -> list[dict]:
    """The question with its buttons, or (once answered) the answer alone; a Hold not yet
    released keeps a **Release hold** button."""
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=text[:3000]))]
    if held:
        release = ButtonElement(
            text="Release hold", action_id=RenewalAction.RELEASE.value, value=str(check_id)
        )
        blocks.append(ActionsBlock(block_id="renewal", elements=[release]))
    if not answered:
        blocks.append(
            ActionsBlock(
                block_id="renewal",
                elements=[
                    ButtonElement(
                        text="Yes, send it",
                        action_id=RenewalAction.YES.value,
                        value=str(check_id),
                        style="primary",
                    ),
                    ButtonElement(
                        text="Hold", action_id=RenewalAction.HOLD.value, value=str(check_id)
                    ),
                ],
            )
        )
    return [block.to_dict() for block in blocks]
