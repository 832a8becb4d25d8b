"""Message views of a case: frozen copies of what the thread root, the nudges and the
move-on request show, handed to the presenter port (bot/ports.py) so Block Kit never sees
an ORM row (docs/ARCHITECTURE.md, *Packages and arrows*)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.common.snapshot import snapshot
from storage.models import Account, Case


@dataclass(frozen=True)
class CaseCard:
    """A case as its messages show it; `details` is a deep copy of the row's JSON."""

    id: int
    kind: str
    status: str
    risk: str
    owner: str | None
    csm: str | None
    arr_at_risk: Decimal | None
    arr_saved: Decimal | None
    offer_cost: Decimal | None
    renewal_date: date | None
    stated_reason: str | None
    details: dict[str, Any]
    source: str
    source_link: str | None
    created_at: datetime

    @classmethod
    def of(cls, case: Case) -> CaseCard:
        """Copy the row while its session is open."""
        card = snapshot(cls, case)
        return cls(**{**card.__dict__, "details": copy.deepcopy(case.details or {})})


@dataclass(frozen=True)
class AccountCard:
    """An account as a case's messages show it."""

    name: str
    external_id: str
    currency: str
    is_stub: bool

    @classmethod
    def of(cls, account: Account) -> AccountCard:
        return snapshot(cls, account)
