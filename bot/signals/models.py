"""The words of the signals domain: a Slack message as signals see it, what the new-case
modal holds, and what watching a channel did."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from bot.cases.models import AccountView

# First match wins: the strongest signal decides the kind a message suggests.
KIND_HINTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (
            r"payment\s+(?:has\s+)?failed|failed\s+payment|card\s+(?:was\s+)?declined",
            "payment_failed",
        ),
        (r"\bcancel|\bterminat", "cancellation"),
        (r"not\s+renew|non-?renew|won'?t\s+renew|will\s+not\s+renew", "non_renewal"),
        (r"\bdowngrad", "downgrade"),
        (r"switch(?:ing)?\s+to|\bcompetitor", "competitor"),
        (r"\bbudget", "budget_cut"),
        (r"\bleft\s+the\s+company|\bleaving\s+the\s+company", "contact_left"),
    )
)


def guess_kind(text: str) -> str:
    """The kind a message's words suggest, so the modal (or a bot's case) starts close."""
    return next((kind for pattern, kind in KIND_HINTS if pattern.search(text)), "other")


# -- Slack messages -------------------------------------------------------------------------


@dataclass(frozen=True)
class SlackMessage:
    """A message in a channel, as far as signals care (handlers parse it from Slack)."""

    channel: str
    ts: str
    text: str = ""
    thread_ts: str | None = None
    bot_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.ts}"

    @property
    def thread(self) -> str:
        """Where replies about it go: its own thread, or the thread it is part of."""
        return self.thread_ts or self.ts


@dataclass(frozen=True)
class CaseFields:
    """What the person filled in on the new-case modal."""

    kind: str
    summary: str = ""
    arr: Decimal | None = None
    renewal_date: date | None = None


@dataclass(frozen=True)
class ExistingCase:
    case_id: int
    link: str | None


@dataclass(frozen=True)
class Draft:
    """What the new-case modal starts with for a message, or the case it already has."""

    kind: str
    text: str
    account: AccountView | None = None
    existing: ExistingCase | None = None


class Watched(StrEnum):
    """What watching a message did; `OFFERED` means a *prompt* to open a case was posted."""

    IGNORED = "ignored"
    OFFERED = "offered"
    ALREADY_OFFERED = "already_offered"
    OPENED = "opened"
    DUPLICATE = "duplicate"
