"""The case lifecycle: the one place a status changes (`_transition`), checked against the
allowed moves, stamped, recorded on the timeline, announced in the thread, and told to the
status listeners in the same unit of work (the survey listens for "became churned")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import ALLOWED_MOVES, CLOSED_STATUSES, STATUS_WORDS, Refused
from slack_edge.messages import OFFBOARDING_CHECKLIST, who
from storage import cases as store
from storage.models import OPEN_STATUSES, Account, Case

StatusListener = Callable[[Session, Case, Account, str, dict[str, Any]], None]
"""Told of every status change inside its unit of work: (session, case, account, previous
status, details such as `involuntary`: the subscription ended on a failed payment)."""


class Lifecycle:
    """Mixed into `CaseService`, which provides `clock`, `_acted` and `status_listeners`."""

    def _transition(
        self,
        session: Session,
        case: Case,
        account: Account,
        status: str,
        actor: str | None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """The one place a status changes: checked, stamped, recorded and announced."""
        if status not in ALLOWED_MOVES.get(case.status, ()):
            raise Refused(
                f"Case #{case.id} is {case.status.replace('_', ' ')}; it cannot be "
                f"{STATUS_WORDS.get(status, status)} now."
            )
        previous, now = case.status, self.clock.now()
        case.status = status
        case.closed_at = now if status in CLOSED_STATUSES else None
        if status == "working":
            case.arr_saved = case.offer_cost = None
        if status in CLOSED_STATUSES:
            case.snoozed_until = None
        by = who(actor) if actor else "The customer left:"
        text = f"{by} {STATUS_WORDS.get(status, status)} the case"
        text += f": {reason}" if reason else "."
        self._acted(
            session,
            case,
            account,
            actor,
            "status",
            text,
            {"from": previous, "to": status, "reason": reason},
        )
        root = store.root_message(session, case)
        if status in ("churned", "moved_on") and previous in OPEN_STATUSES and root is not None:
            outbox.reply(session, now, root, OFFBOARDING_CHECKLIST)
        for listener in self.status_listeners:
            listener(session, case, account, previous, details or {})
