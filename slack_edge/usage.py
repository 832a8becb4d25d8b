"""The `/churn` usage message, built with slack_sdk's Block Kit models."""

from __future__ import annotations

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.policy import KINDS

USAGE_LINES = (
    "`/churn cancel <account> [stated reason…]` open a cancellation case",
    "`/churn risk <account> <kind> [note…]` flag a churn risk",
    "`/churn cases [mine|open|all]` list cases with links to their threads",
    "`/churn report [week|month|quarter]` post the revenue-at-risk report here",
    "`/churn help` show this message",
)


def usage_text(problem: str | None = None) -> str:
    head = f":warning: {problem}\n" if problem else ""
    return head + "*Savedesk — /churn*\n" + "\n".join(USAGE_LINES)


def usage_blocks(problem: str | None = None) -> list[dict]:
    blocks = []
    if problem:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f":warning: {problem}")))
    blocks.append(
        SectionBlock(text=MarkdownTextObject(text="*Savedesk — /churn*\n" + "\n".join(USAGE_LINES)))
    )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="`<account>` is an account's external id or its name (a unique prefix "
                    'is enough; quote names with spaces, e.g. "Acme Corp"). '
                    f"Risk kinds: {', '.join(KINDS)}."
                )
            ]
        )
    )
    return [b.to_dict() for b in blocks]
