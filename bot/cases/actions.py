"""What people do to a case from its thread: acknowledge, reassign, risk, notes, closing
(with a manager's confirmation to move on above the policy's ARR), reopening, snoozes,
reminders and removing a CSM. Every status change goes through `_transition`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import CLOSED_STATUSES, RISKS, Refused
from bot.followups import service as followups
from bot.team import Team
from slack_edge.messages import esc, move_on_request_blocks, owner_dm, time_token, who
from storage import cases as store
from storage import offers as offers_store
from storage.models import OPEN_STATUSES, Account, Case, OutboxMessage


class CaseActions:
    """The acting half of `CaseService`, which mixes it in and provides the shared steps
    (`team`, `_load`, `_require_*`, `_transition`, `_acted`, `_line`); kept apart to keep
    files small."""

    def acknowledge(self, case_id: int, actor: str) -> Case:
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            if case.status != "new":
                raise Refused(f"Case #{case.id} is already {case.status.replace('_', ' ')}.")
            if case.owner and actor != case.owner and not team.is_lead(actor):
                raise Refused(
                    f"Only {who(case.owner)} or a manager can acknowledge case #{case.id}."
                )
            if case.owner is None:
                case.owner, case.assigned_at = actor, self.clock.now()
            self._transition(session, case, account, "acknowledged", actor)
            return case

    def reassign(self, case_id: int, actor: str, new_owner: str) -> Case:
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            if actor != case.owner and not team.is_lead(actor):
                raise Refused("Only the case's owner, a manager or an admin can reassign it.")
            if new_owner == case.owner:
                raise Refused(f"{who(new_owner)} already owns case #{case.id}.")
            previous, now = case.owner, self.clock.now()
            case.owner, case.assigned_at = new_owner, now
            self._acted(
                session,
                case,
                account,
                actor,
                "reassigned",
                f"{who(actor)} reassigned the case from {who(previous)} to {who(new_owner)}.",
            )
            root = store.root_message(session, case)
            if root is not None:
                outbox.linked(session, now, new_owner, root, owner_dm(case, account))
            return case

    def set_risk(self, case_id: int, actor: str, risk: str) -> Case:
        if risk not in RISKS:
            raise Refused(f"Risk level must be one of {', '.join(RISKS)}.")
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            self._require_participant(case, actor, team)
            if case.risk == risk:
                raise Refused(f"Case #{case.id} is already {risk} risk.")
            previous, case.risk = case.risk, risk
            self._acted(
                session,
                case,
                account,
                actor,
                "risk",
                f"{who(actor)} changed the risk level from {previous} to {risk}.",
            )
            return case

    def add_note(self, case_id: int, actor: str, note: str) -> Case:
        note = note.strip()
        if not note:
            raise Refused("A note cannot be empty.")
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._acted(session, case, account, actor, "note", f"{who(actor)} noted: {note[:2900]}")
            return case

    def close(self, case_id: int, actor: str, status: str, reason: str | None = None) -> Case:
        """Mark saved, churned or moved on (moving on needs a reason)."""
        if status not in CLOSED_STATUSES:
            raise Refused(f"{status} is not a way to close a case.")
        if status == "moved_on" and not (reason or "").strip():
            raise Refused("Moving on needs a reason.")
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_participant(case, actor, team)
            if status == "moved_on" and self._needs_confirmation(case, actor, team):
                self._request_move_on(session, case, account, actor, reason or "", team)
                return case
            if status == "saved":
                case.arr_saved = case.arr_at_risk
                case.offer_cost = offers_store.accepted_cost(session, case.id)
            self._transition(session, case, account, status, actor, reason)
            return case

    def _needs_confirmation(self, case: Case, actor: str, team: Team) -> bool:
        if team.is_manager(actor):
            return False
        return self.policy.move_on_needs_confirmation(case.arr_at_risk)

    def _request_move_on(
        self, session: Session, case: Case, account: Account, actor: str, reason: str, team: Team
    ) -> None:
        """Above the policy's ARR threshold a manager confirms moving on, in the thread."""
        if case.status not in OPEN_STATUSES:
            raise Refused(f"Case #{case.id} is {case.status.replace('_', ' ')}.")
        if "move_on_request" in (case.details or {}):
            raise Refused(f"Moving case #{case.id} on is already waiting for a manager.")
        now = self.clock.now()
        text, blocks = move_on_request_blocks(case, actor, reason, team.members("managers"))
        root = store.root_message(session, case)
        request = outbox.reply(session, now, root, text, blocks) if root else None
        pending = {"by": actor, "reason": reason, "message_id": request.id if request else None}
        case.details = {**(case.details or {}), "move_on_request": pending}
        self._acted(
            session,
            case,
            account,
            actor,
            "move_on_requested",
            f"{who(actor)} asked to move on ({reason}); a manager must confirm.",
        )

    def confirm_move_on(self, case_id: int, actor: str, confirm: bool) -> Case:
        """A manager confirms (or declines) a pending move-on."""
        team = self.team()
        if not team.is_manager(actor):
            raise Refused("Only a manager can confirm moving a case on.")
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            request = (case.details or {}).get("move_on_request")
            if request is None:
                raise Refused(f"Case #{case.id} has no move-on waiting for confirmation.")
            case.details = {k: v for k, v in case.details.items() if k != "move_on_request"}
            message = session.get(OutboxMessage, request.get("message_id") or 0)
            verdict = "confirmed" if confirm else "declined"
            if message is not None:
                outbox.update(
                    session, self.clock.now(), message, f"Move on {verdict} by {who(actor)}.", []
                )
            if confirm:
                reason = f"{request['reason']} (confirmed by {who(actor)})"
                self._transition(session, case, account, "moved_on", actor, reason)
            else:
                self._acted(
                    session,
                    case,
                    account,
                    actor,
                    "move_on_declined",
                    f"{who(actor)} declined moving on: keep working the case.",
                )
            return case

    def customer_left(self, account_id: int, *, involuntary: bool, why: str) -> Case | None:
        """The customer is gone (e.g. Stripe `customer.subscription.deleted`): the account's
        open churn case, or else its moved-on one, becomes churned through the one
        transition, so the survey is asked. None when there is neither (the caller opens
        a case already churned). `involuntary`: the subscription ended on a failed payment."""
        with self.db.session() as session:
            case = store.open_case(session, account_id, "churn") or store.latest_case(
                session, account_id, "churn", "moved_on"
            )
            if case is None:
                return None
            case, account = self._load(session, case.id)
            self._transition(
                session, case, account, "churned", None, why, {"involuntary": involuntary}
            )
            return case

    def reopen(self, case_id: int, actor: str) -> Case:
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_participant(case, actor, team)
            other = store.open_case(session, case.account_id, case.track)
            if other is not None and other.id != case.id:
                raise Refused(
                    f"*{esc(account.name)}* already has open case #{other.id}; use that one."
                )
            self._transition(session, case, account, "working", actor)
            return case

    def snooze(self, case_id: int, actor: str, until: datetime) -> Case:
        """Pause nudges until `until`; the owner is nudged when the snooze ends."""
        now = self.clock.now()
        if until <= now:
            raise Refused("Pick a time in the future.")
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            self._require_participant(case, actor, team)
            case.snoozed_until = until
            self._acted(
                session,
                case,
                account,
                actor,
                "snooze",
                f"{who(actor)} snoozed the case until {time_token(until)}.",
            )
            followups.snoozed(session, self.policy, case, until, now)
            return case

    def remind(self, case_id: int, actor: str, at: datetime) -> Case:
        """The person sets the next follow-up themselves."""
        now = self.clock.now()
        if at <= now:
            raise Refused("Pick a time in the future.")
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            self._acted(
                session,
                case,
                account,
                actor,
                "reminder",
                f"{who(actor)} set a reminder for {time_token(at)}.",
            )
            followups.reminder_set(session, case, actor, at, now)
            return case

    def remove_csm(self, case_id: int, actor: str, reason: str) -> Case:
        """Only a manager removes a CSM from an account (e.g. an abusive customer)."""
        if not self.team().is_manager(actor):
            raise Refused("Only a manager can remove the CSM from an account.")
        if not reason.strip():
            raise Refused("Removing a CSM needs a reason.")
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            if account.csm is None and case.csm is None:
                raise Refused(f"*{esc(account.name)}* has no CSM.")
            removed = account.csm or case.csm
            now = self.clock.now()
            account.csm, account.updated_at = None, now
            store.add_account_event(
                session,
                account,
                now,
                actor,
                "csm_removed",
                f"{who(actor)} removed CSM {who(removed)}: {reason}",
            )
            for open_case in store.open_cases_of_account(session, account.id):
                open_case.csm = None
                self._acted(
                    session,
                    open_case,
                    account,
                    actor,
                    "csm_removed",
                    f"{who(actor)} removed {who(removed)} as CSM: {reason}",
                )
            return case
