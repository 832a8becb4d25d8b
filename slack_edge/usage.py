"""The `/churn` usage message, built with slack_sdk's Block Kit models."""

from __future__ import annotations

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.policy import KINDS
from slack_edge.text import SECTION_TEXT, escape, fit

USAGE_LINES = (
    "`/churn cancel <account> [stated reason…]` open a cancellation case",
    "`/churn risk <account> <kind> [note…]` flag a churn risk",
    "`/churn cases [mine|open|all]` list cases with links to their threads",
    "`/churn report [week|month|quarter]` post the revenue-at-risk report here",
    "`/churn invoices [overdue]` open (or overdue) invoices and their ladder step (finance)",
    "`/churn hours [08:00-16:00 mon-thu|default]` your working hours (nudges only inside)",
    "`/churn away <from> <to> [cover @person]` time off, days as YYYY-MM-DD, `today`, "
    "`tomorrow` or a weekday (`off` ends it)",
    "`/churn help` show this message",
)


def usage_text(problem: str | None = None) -> str:
    """Usage as mrkdwn; `problem` (it may quote what was typed) and `<account>` escaped once."""
    head = f":warning: {fit(escape(problem), SECTION_TEXT)}\n" if problem else ""
    return head + "*Savedesk — /churn*\n" + "\n".join(escape(line) for line in USAGE_LINES)


def usage_blocks(problem: str | None = None) -> list[dict]:
    blocks = []
    if problem:
        warning = f":warning: {fit(escape(problem), SECTION_TEXT - 10)}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=warning)))
    lines = "\n".join(escape(line) for line in USAGE_LINES)
    blocks.append(SectionBlock(text=MarkdownTextObject(text="*Savedesk — /churn*\n" + lines)))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="`&lt;account&gt;` is an account's external id or its name (a unique "
                    'prefix is enough; quote names with spaces, e.g. "Acme Corp"). '
                    f"Risk kinds: {', '.join(KINDS)}."
                )
            ]
        )
    )
    return [b.to_dict() for b in blocks]
