"""The concession ledger (docs/offers.md, *The concession ledger*): every accepted save offer is a
concession on its account — type, value, date, approver — and a third concession within
12 months needs a manager even where the approval rules would not ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.policy import NO_APPROVAL
from storage import offers as store

LOOKBACK = timedelta(days=365)
"""The ledger's window: the last 12 months."""
MANAGER_AT = 3
"""The concession (counted with the one proposed) from which a manager decides."""
MANAGERS = "managers"


@dataclass(frozen=True)
class Concession:
    """One accepted offer: `value` is what it costs (the counter value when countered), in
    the account's currency; `on` when the customer accepted (UTC); `approver` who approved
    it, None when it was applied within policy."""

    offer_id: int
    case_id: int
    type: str
    value: Decimal
    on: datetime
    approver: str | None


def ledger(session: Session, account_id: int, now: datetime) -> list[Concession]:
    """The account's concessions of the last 12 months, oldest first."""
    found = store.accepted_for_account(session, account_id, now - LOOKBACK)
    return [
        Concession(
            offer_id=offer.id,
            case_id=offer.case_id,
            type=offer.type,
            value=offer.counter_value if offer.counter_value is not None else offer.value,
            on=at,
            approver=offer.decided_by,
        )
        for offer, at in found
    ]


def approver_with_ledger(approver: str, earlier: list[Concession]) -> str:
    """The rules' approver, or the managers when this offer would be the account's third
    concession within 12 months and the rules would let it apply without approval."""
    if approver == NO_APPROVAL and len(earlier) + 1 >= MANAGER_AT:
        return MANAGERS
    return approver
