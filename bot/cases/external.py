"""What other systems do to cases (Stripe, for now), inside the caller's unit of work.

A webhook event is remembered in the same transaction as its effect (docs/stripe.md,
*Verification and idempotency*:
"a repeated event id → no second effect"), so these methods take the caller's session
instead of opening their own: opening a case, changing its status through the one
lifecycle (`Lifecycle.transition(..., by="Stripe")`) and timeline lines
(`Timeline.by_system`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.cases.models import Opened, Signal
from storage import cases as store
from storage.models import Case


class ExternalEvents:
    """Mixed into `CaseService`, which provides `team`, `policy` and `_open_in`."""

    def open_in(self, session: Session, account_id: int, signal: Signal) -> Opened:
        """Open or attach like `open`, inside the caller's unit of work (routing reads the
        same session, so an account created in it is seen). Slack cannot be asked here: an
        account's people Slack was never asked about are taken as real (imports and
        `user_change` events keep what Slack says known)."""
        team = self.team(stale_ok=True)  # type: ignore[attr-defined]
        return self._open_in(session, account_id, signal, team, None)  # type: ignore[attr-defined]

    def open_case_of(self, session: Session, account_id: int, track: str) -> Case | None:
        """The account's open case of a track (`churn` / `payment`), if any."""
        return store.open_case(session, account_id, track)
