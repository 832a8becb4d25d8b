"""The words of the case domain: statuses and the moves between them, risks, reasons, and
the small values that cross from the edges into `CaseService` and back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from bot.policy import Policy
from storage.models import Account, Case

CLOSED_STATUSES = ("saved", "churned", "moved_on")
ALLOWED_MOVES: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "working", *CLOSED_STATUSES),
    "acknowledged": ("working", *CLOSED_STATUSES),
    "working": CLOSED_STATUSES,
    "saved": ("working",),
    "churned": ("working",),
    "moved_on": ("working", "churned"),  # the customer left after all
}
RISKS = ("low", "medium", "high")
MOVE_ON_REASONS = {
    "not_ideal_customer": "Not our ideal customer",
    "out_of_business": "Bankrupt / out of business",
    "wrong_fit": "Wrong product fit",
    "other": "Other",
}
STATUS_WORDS = {
    "acknowledged": "acknowledged",
    "working": "reopened",
    "saved": "marked saved",
    "churned": "marked churned",
    "moved_on": "moved on",
}


SNOOZE_SPANS = {"1d": timedelta(days=1), "3d": timedelta(days=3), "1w": timedelta(weeks=1)}


def snooze_until(choice: str, day: date | None, now: datetime, policy: Policy) -> datetime:
    """When a snooze ends: a span from now, or the start of business on the chosen day."""
    if choice in SNOOZE_SPANS:
        return now + SNOOZE_SPANS[choice]
    if day is None:
        raise Refused("Pick the date the snooze ends.")
    opening = policy.business_hours[0] if policy.business_hours else time(9)
    return datetime.combine(day, opening, tzinfo=policy.timezone).astimezone(UTC)


def track_of(kind: str) -> str:
    return "payment" if kind == "payment_failed" else "churn"


class Refused(Exception):
    """The person may not do this, or the case is not in a state for it."""


@dataclass(frozen=True)
class Signal:
    """A cancellation or churn risk, from wherever it came."""

    kind: str
    source: str
    actor: str | None = None
    summary: str = ""
    arr: Decimal | None = None
    renewal_date: date | None = None
    link: str | None = None
    dedupe: tuple[str, str] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    respond_url: str | None = None
    reply_in: tuple[str, str] | None = None  # (channel, thread_ts) of the source message


@dataclass(frozen=True)
class Opened:
    case_id: int
    created: bool
    attached: bool = False
    duplicate: bool = False


@dataclass(frozen=True)
class CaseItem:
    case: Case
    account: Account
    link: str | None


@dataclass(frozen=True)
class CaseListing:
    items: list[CaseItem]
    total: int
