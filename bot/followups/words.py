"""What the follow-ups say where a nudge's buttons were, once they no longer apply
(docs/escalation.md, *When a case closes or changes hands*)."""

from __future__ import annotations

from bot.common.text import who
from bot.common.vocab import CaseStatus

CLOSED_WORDS = {
    CaseStatus.SAVED: "saved",
    CaseStatus.CHURNED: "churned",
    CaseStatus.MOVED_ON: "moved on",
}


def closed(status: str, actor: str | None, by: str | None = None) -> str:
    """E.g. "Closed: saved by <@U1>"; with no person, the system that closed it (Stripe)."""
    subject = who(actor) if actor else (by or "Savedesk")
    return f"Closed: {CLOSED_WORDS.get(status, status)} by {subject}"


def now_owned(owner: str | None) -> str:
    """E.g. "Now owned by <@U2>"."""
    return f"Now owned by {who(owner)}"


def retired_line(note: str, thread_link: str | None) -> str:
    """The context line that replaces a nudge's buttons: the note and the case thread."""
    return f"{note} · <{thread_link}|Open the thread>" if thread_link else note
