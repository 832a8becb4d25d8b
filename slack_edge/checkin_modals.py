"""The Downgraded modal of a save check-in: the ARR the account kept (docs/reports.md, *Did
the save last?*); its submission is handlers/listeners/views/checkins.py's."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)

from slack_edge.modals import CheckinMeta, modal

DOWNGRADE_VIEW = "checkin_downgrade_view"
NEW_ARR = "new_arr"


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
