"""Block Kit confirmation dialogs for buttons whose click is hard to take back."""

from __future__ import annotations

from slack_sdk.models.blocks import ConfirmObject, PlainTextObject


def confirm_churned(text: str, label: str = "Mark churned") -> ConfirmObject:
    """The dialog Slack shows before a button that records a churn (Block Kit's confirmation
    dialog object, api.slack.com/reference/block-kit/composition-objects#confirm): one
    click closes the case for good in the report, so the person confirms first."""
    return ConfirmObject(
        title=f"{label}?",
        text=PlainTextObject(text=text),
        confirm=label,
        deny="Cancel",
        style="danger",
    )
