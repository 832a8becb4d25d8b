"""A mixed book of cases for report tests, written straight into storage with known
times, so every figure can be computed by hand in the test that reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.runtime.services import Services
from storage.models import Account, Case


@dataclass
class Book:
    services: Services
    now: datetime
    accounts: int = 0

    def case(
        self,
        kind: str,
        status: str,
        arr: int,
        *,
        age: timedelta = timedelta(days=10),
        closed_ago: timedelta | None = None,
        risk: str = "medium",
        saved: int | None = None,
    ) -> int:
        """A case opened `age` ago; closed `closed_ago` ago when its status is closed."""
        self.accounts += 1
        track = "payment" if kind == "payment_failed" else "churn"
        with self.services.db.session() as session:
            account = Account(
                external_id=f"acct-{self.accounts}",
                name=f"Account {self.accounts}",
                arr=Decimal(arr),
                created_at=self.now - age,
                updated_at=self.now - age,
            )
            session.add(account)
            session.flush()
            closed_at = self.now - closed_ago if closed_ago is not None else None
            row = Case(
                account_id=account.id,
                track=track,
                kind=kind,
                status=status,
                risk=risk,
                arr_at_risk=Decimal(arr),
                arr_saved=Decimal(saved if saved is not None else arr)
                if status == "saved"
                else None,
                source="test",
                details={},
                created_at=self.now - age,
                updated_at=self.now - age,
                closed_at=closed_at,
            )
            session.add(row)
            session.flush()
            return row.id
