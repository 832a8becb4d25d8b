"""The Hold modal: why finance should hold a renewal invoice (required); its submission is
handlers/listeners/views/finance.py's."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)

from slack_edge.modals import RenewalMeta, modal

HOLD_VIEW = "renewal_hold_view"
REASON = "reason"
MAX_REASON = 2000


def hold_modal(check_id: int, account_name: str) -> dict:
    """Asks why the renewal invoice should be held (required)."""
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"Hold the renewal invoice for *{account_name[:200]}*. Finance will see why."
            )
        ),
        InputBlock(
            block_id=REASON,
            label="Why hold it?",
            element=PlainTextInputElement(action_id=REASON, multiline=True, max_length=MAX_REASON),
        ),
    ]
    return modal(HOLD_VIEW, "Hold renewal invoice", "Hold", blocks, RenewalMeta(check_id))
