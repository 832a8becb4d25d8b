"""What other systems do to cases (Stripe, for now), inside the caller's unit of work.

A webhook event is remembered in the same transaction as its effect (CONTRACT section 3:
"a repeated event id → no second effect"), so these methods take the caller's session
instead of opening their own: opening a case, changing its status through the one
lifecycle (`_transition`) with the system named as who did it, and timeline lines.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.cases.models import Opened, Signal
from bot.cases.routing import AccountFacts, route
from storage import cases as store
from storage.models import OPEN_STATUSES, Account, Case


class ExternalEvents:
    """Mixed into `CaseService`, which provides `team`, `_open_in`, `_transition`, `_line`
    and `_refresh_root`."""

    def open_in(self, session: Session, account_id: int, signal: Signal) -> Opened:
        """Open or attach like `open`, inside the caller's unit of work (routing reads the
        same session, so an account created in it is seen)."""
        team = self.team(stale_ok=True)  # type: ignore[attr-defined]
        account = session.get(Account, account_id)
        assert account is not None
        facts = AccountFacts(account.csm, account.account_owner, account.segment)
        routed = route(
            self.policy,  # type: ignore[attr-defined]
            team,
            facts,
            signal.kind,
            signal.arr if signal.arr is not None else account.arr,
            lambda pool: store.open_case_counts(session, pool),
            team.resolve,
        )
        return self._open_in(session, account_id, signal, routed)  # type: ignore[attr-defined]

    def open_case_of(self, session: Session, account_id: int, track: str) -> Case | None:
        """The account's open case of a track (`churn` / `payment`), if any."""
        return store.open_case(session, account_id, track)

    def transition_by(
        self,
        session: Session,
        case: Case,
        status: str,
        by: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Change a case's status through the lifecycle on behalf of a system (`by`, e.g.
        "Stripe"); nobody in Slack acted, so follow-up timers are not reset."""
        account = session.get(Account, case.account_id)
        assert account is not None
        self._transition(session, case, account, status, None, reason, details, by=by)  # type: ignore[attr-defined]

    def line_by(
        self,
        session: Session,
        case: Case,
        type: str,
        text: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """A timeline line from a system; the root is refreshed too."""
        account = session.get(Account, case.account_id)
        assert account is not None
        self._line(session, case, None, type, text, details)  # type: ignore[attr-defined]
        if case.status in OPEN_STATUSES:
            self._refresh_root(session, case, account)  # type: ignore[attr-defined]
