"""The words of the case domain: statuses and the moves between them, risks, reasons, and
the small values that cross from the edges into `CaseService` and back."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from bot.common.snapshot import snapshot
from bot.common.vocab import CLOSED_STATUSES, MOVE_ON_LABELS, CaseStatus, RiskLevel
from bot.policy import Policy
from storage.models import Account, Case

ALLOWED_MOVES: dict[str, tuple[str, ...]] = {
    CaseStatus.NEW: (CaseStatus.ACKNOWLEDGED, CaseStatus.WORKING, *CLOSED_STATUSES),
    CaseStatus.ACKNOWLEDGED: (CaseStatus.WORKING, *CLOSED_STATUSES),
    CaseStatus.WORKING: CLOSED_STATUSES,
    CaseStatus.SAVED: (CaseStatus.WORKING,),
    CaseStatus.CHURNED: (CaseStatus.WORKING,),
    CaseStatus.MOVED_ON: (CaseStatus.WORKING, CaseStatus.CHURNED),  # the customer left after all
}
RISKS = tuple(level.value for level in RiskLevel)
MOVE_ON_REASONS = MOVE_ON_LABELS
STATUS_WORDS = {
    CaseStatus.ACKNOWLEDGED: "acknowledged",
    CaseStatus.WORKING: "reopened",
    CaseStatus.SAVED: "marked saved",
    CaseStatus.CHURNED: "marked churned",
    CaseStatus.MOVED_ON: "moved on",
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
    respond_issued: datetime | None = None
    """When Slack issued `respond_url` (the command came; UTC): its 30 minutes count from
    then, however late the answer is queued (bot/outbox/queue.py, `respond`)."""
    replace_ack: bool = False
    """The answer on `respond_url` replaces the command's acknowledgement ("Opening a case
    for…", shown at once), rather than showing beside it."""
    reply_in: tuple[str, str] | None = None  # (channel, thread_ts) of the source message


@dataclass(frozen=True)
class ExternalAccount:
    """An account named by its external id, as a webhook names it: an unknown one becomes a
    stub account in the unit of work that opens its case (docs/webhooks.md, *Signals
    webhook*: a signal for an unknown account is never dropped)."""

    external_id: str


@dataclass(frozen=True)
class Opened:
    """What became of a signal: a new case, an attach to the open one, or a duplicate."""

    case_id: int
    created: bool
    attached: bool = False
    duplicate: bool = False
    account_id: int | None = None  # the account's id (a stub's, when it was just created)


@dataclass(frozen=True)
class AccountView:
    """An account as a listing or a case's messages show it: a frozen copy, never the ORM
    row; `is_stub`: opened from a signal before anyone imported the account."""

    id: int
    name: str
    external_id: str
    currency: str
    is_stub: bool

    @classmethod
    def of(cls, account: Account) -> AccountView:
        return snapshot(cls, account)


@dataclass(frozen=True)
class CaseItem:
    """One line of a case listing (`/churn cases`, App Home): frozen copies of the case and
    its account, and the thread's permalink when known."""

    case: CaseView
    account: AccountView
    link: str | None

    @classmethod
    def of(cls, case: Case, account: Account, link: str | None) -> CaseItem:
        """Copy the rows while their session is still open."""
        return cls(CaseView.of(case), AccountView.of(account), link)


@dataclass(frozen=True)
class CaseListing:
    items: list[CaseItem]
    total: int


@dataclass(frozen=True)
class CaseView:
    """A case as handlers and its messages (through the presenter port, bot/ports.py) see
    it: a frozen copy, never the ORM row (which belongs to its session). ARR amounts are in
    the account's currency; times are UTC; `details` is a deep copy of the row's JSON."""

    id: int
    account_id: int
    track: str
    kind: str
    status: str
    risk: str
    owner: str | None
    csm: str | None
    arr_at_risk: Decimal | None
    arr_saved: Decimal | None
    offer_cost: Decimal | None
    renewal_date: date | None
    created_at: datetime
    snoozed_until: datetime | None
    closed_at: datetime | None
    stated_reason: str | None
    details: dict[str, Any]
    source: str
    source_link: str | None

    @classmethod
    def of(cls, case: Case) -> CaseView:
        """Copy the row's columns while its session is still open."""
        view = snapshot(cls, case)
        return replace(view, details=copy.deepcopy(case.details or {}))
