"""The case lifecycle: the one place a case's status changes (`Lifecycle.transition`),
checked against the table of allowed moves (`ALLOWED_MOVES`), stamped, recorded on the
timeline, announced in the thread and told to the status listeners, all in the caller's unit
of work (the survey listens for "became churned", turnover for "closed").

Saving a case records the ARR saved and the offer cost here, and a move-on that waits for a
manager's confirmation (above `offers.move_on_confirm_above_arr`, docs/cases.md, *Moving on*) is
requested and settled here, so nothing changes a case's outcome around the lifecycle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import ALLOWED_MOVES, CLOSED_STATUSES, STATUS_WORDS, CaseView, Refused
from bot.cases.timeline import Timeline
from bot.cases.words import OFFBOARDING_CHECKLIST, status_line
from bot.common.clock import Clock
from bot.common.formatting import money
from bot.common.text import quiet, who
from bot.common.vocab import CaseEventType, CaseStatus
from bot.followups import service as followups
from storage import cases as store
from storage import offers as offers_store
from storage.models import OPEN_STATUSES, Account, Case, OutboxMessage

StatusListener = Callable[[Session, Case, Account, str, dict[str, Any]], None]
"""Told of every status change inside its unit of work: (session, case, account, previous
status, details such as `involuntary`: the subscription ended on a failed payment)."""
Closing = Callable[[Session, Case, Account], None]
"""Called inside the unit of work that closes a case (e.g. to stop a time at risk)."""

MOVE_ON_REQUEST = "move_on_request"
"""The key in `cases.details` of a move-on waiting for a manager: {by, reason, message_id}."""


class Lifecycle:
    """The moves between case statuses, for every domain and every way in."""

    def __init__(
        self,
        clock: Clock,
        timeline: Timeline,
        *,
        status_listeners: Sequence[StatusListener] = (),
        closing: Sequence[Closing] = (),
    ) -> None:
        self.clock = clock
        self.timeline = timeline
        self.status_listeners: tuple[StatusListener, ...] = tuple(status_listeners)
        self.closing: tuple[Closing, ...] = tuple(closing)

    def transition(
        self,
        session: Session,
        case: Case,
        account: Account,
        status: str,
        actor: str | None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        *,
        by: str | None = None,
        event: dict[str, Any] | None = None,
    ) -> None:
        """Move `case` to `status` (a `CaseStatus`) for `actor` (a Slack user id) or, with no
        person, for the system named `by` (e.g. "Stripe"). Raises Refused when the move is
        not in `ALLOWED_MOVES`. Saved records `arr_saved` (the ARR at risk) and
        `offer_cost` (the accepted save offers' cost), both in the account's currency;
        reopening clears them. `event`: more details for the timeline event, e.g. the
        owner taken with the change ({"owner_from": None, "owner_to": user})."""
        if status not in ALLOWED_MOVES.get(case.status, ()):
            raise Refused(
                f"Case #{case.id} is {case.status.replace('_', ' ')}; it cannot be "
                f"{STATUS_WORDS.get(status, status)} now."
            )
        previous, now = case.status, self.clock.now()
        case.status = status
        case.closed_at = now if status in CLOSED_STATUSES else None
        self._record_outcome(session, case, status)
        if status in CLOSED_STATUSES:
            case.snoozed_until = None
            for closed in self.closing:  # e.g. turnover: time at risk ends
                closed(session, case, account)
        text = status_line(case, actor, previous, account.currency, reason, by)
        change = {**(event or {}), "from": previous, "to": status, "reason": reason}
        # every change is a line in the thread (docs/cases.md, *The case thread*)
        self.timeline.acted(session, case, account, actor, CaseEventType.STATUS, text, change)
        root = store.root_message(session, case)
        gone = status in (CaseStatus.CHURNED, CaseStatus.MOVED_ON)
        if gone and previous in OPEN_STATUSES and root is not None:
            outbox.reply(session, now, root, OFFBOARDING_CHECKLIST)
        if status in CLOSED_STATUSES:  # the nudges' buttons no longer apply
            followups.closed(session, case, self.timeline.presenter, now, actor, by)
        for listener in self.status_listeners:
            listener(session, case, account, previous, details or {})

    @staticmethod
    def _record_outcome(session: Session, case: Case, status: str) -> None:
        if status == CaseStatus.SAVED:
            case.arr_saved = case.arr_at_risk
            case.offer_cost = offers_store.accepted_cost(session, case.id)
        elif status == CaseStatus.WORKING:
            case.arr_saved = case.offer_cost = None

    def request_move_on(
        self,
        session: Session,
        case: Case,
        account: Account,
        actor: str,
        reason: str,
        managers: tuple[str, ...],
    ) -> None:
        """Ask `managers` in the thread to confirm moving on from an open case; the request
        waits in `case.details[MOVE_ON_REQUEST]`. Raises Refused when the case is closed or
        a request already waits."""
        if case.status not in OPEN_STATUSES:
            raise Refused(f"Case #{case.id} is {case.status.replace('_', ' ')}.")
        if MOVE_ON_REQUEST in (case.details or {}):
            raise Refused(f"Moving case #{case.id} on is already waiting for a manager.")
        text, blocks = self.timeline.presenter.move_on_request(
            CaseView.of(case), actor, reason, managers
        )
        root = store.root_message(session, case)
        request = outbox.reply(session, self.clock.now(), root, text, blocks) if root else None
        pending = {"by": actor, "reason": reason, "message_id": request.id if request else None}
        case.details = {**(case.details or {}), MOVE_ON_REQUEST: pending}
        self.timeline.acted(
            session,
            case,
            account,
            actor,
            CaseEventType.MOVE_ON_REQUESTED,
            f"{who(actor)} asked to move on from the case"
            f" ({money(case.arr_at_risk, account.currency)} ARR at risk): {quiet(reason, 2000)};"
            " a manager must confirm.",
            in_thread=False,  # the request just posted says it, with its buttons
        )

    def settle_move_on(
        self, session: Session, case: Case, account: Account, manager: str, confirm: bool
    ) -> None:
        """A manager's answer to the waiting request: confirmed moves the case on, declined
        keeps it open. The request's message says who answered. Raises Refused when no
        request waits."""
        request = (case.details or {}).get(MOVE_ON_REQUEST)
        if request is None:
            raise Refused(f"Case #{case.id} has no move-on waiting for confirmation.")
        case.details = {k: v for k, v in case.details.items() if k != MOVE_ON_REQUEST}
        message = session.get(OutboxMessage, request.get("message_id") or 0)
        verdict = "confirmed" if confirm else "declined"
        if message is not None:
            text = f"Move on {verdict} by {who(manager)}."
            outbox.update(session, self.clock.now(), message, text, [])
        if confirm:
            reason = f"{request['reason']} (confirmed by {who(manager)})"
            self.transition(session, case, account, CaseStatus.MOVED_ON, manager, reason)
            return
        text = f"{who(manager)} declined moving on: keep working the case."
        self.timeline.acted(  # the request, edited in place, says so
            session, case, account, manager, CaseEventType.MOVE_ON_DECLINED, text, in_thread=False
        )
