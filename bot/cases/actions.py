"""What people do to a case from its thread: acknowledge, reassign, risk, notes, closing
(with a manager's confirmation to move on above the policy's ARR), reopening, snoozes,
reminders and removing a CSM. Every status change goes through `Lifecycle.transition`.

And what happens to the cases of someone who stops being a real person of the workspace
(an admin deactivates them; Slack says so with `user_change`): each open case they own is
handed over the way routing falls back (docs/cases.md, *Routing*: the case's CSM, then a manager),
the thread says why, and the new owner gets the DM; a case they are the CSM of loses its
CSM (`Handover`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import CLOSED_STATUSES, RISKS, CaseView, Refused
from bot.cases.routing import pick_by_load
from bot.cases.timeline import Timeline
from bot.cases.words import cover_gone, owner_dm
from bot.common.clock import Clock
from bot.common.formatting import time_token
from bot.common.text import esc, quiet, who
from bot.common.vocab import CaseEventType, CaseStatus, Track
from bot.followups import service as followups
from bot.people.access import Action, Actor
from bot.people.standing import Person, PersonFacts
from bot.people.team import Team, TeamService
from storage import cases as store
from storage import hours as hours_store
from storage.db import Database
from storage.models import Account, Case


class CaseActions:
    """The acting half of `CaseService`, which mixes it in and provides `access`, `_load`,
    `_require_*`, `lifecycle` and `timeline`; kept apart to keep files small. Each method is
    one unit of work and returns the case as a frozen `CaseView`; raises Refused. Who may
    do what is `bot.people.access.RULES`, checked before anything changes."""

    def acknowledge(self, case_id: int, actor: str) -> CaseView:
        acting = self.access.actor(actor)
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require(acting, case, Action.ACKNOWLEDGE)
            if case.status != CaseStatus.NEW:
                raise Refused(f"Case #{case.id} is already {case.status.replace('_', ' ')}.")
            took = case.owner is None  # an unowned case is taken by acknowledging it
            if took:
                case.owner, case.assigned_at = actor, self.clock.now()
            taken = {"owner_from": None, "owner_to": actor} if took else None
            self.lifecycle.transition(
                session, case, account, CaseStatus.ACKNOWLEDGED, actor, event=taken
            )
            return CaseView.of(case)

    def reassign(self, case_id: int, actor: str, new_owner: str) -> CaseView:
        acting = self.access.actor(actor)
        chosen = self.access.directory.person(new_owner)
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            self._require(acting, case, Action.REASSIGN)
            if not chosen.real:
                raise Refused(f"{who(new_owner)} {chosen.why}; pick someone else.")
            if new_owner == case.owner:
                raise Refused(f"{who(new_owner)} already owns case #{case.id}.")
            previous, now = case.owner, self.clock.now()
            case.owner, case.assigned_at = new_owner, now
            self.timeline.acted(
                session,
                case,
                account,
                actor,
                CaseEventType.REASSIGNED,
                f"{who(actor)} reassigned the case from {who(previous)} to {who(new_owner)}.",
                {"from": previous, "to": new_owner},
                # every change is a line in the thread (docs/cases.md, *The case thread*)
            )
            root = store.root_message(session, case)
            if root is not None:
                outbox.linked(session, now, new_owner, root, owner_dm(case, account))
            managers = acting.team.members("managers")
            followups.changed_hands(session, case, self.timeline.presenter, now, managers)
            return CaseView.of(case)

    def set_risk(self, case_id: int, actor: str, risk: str) -> CaseView:
        if risk not in RISKS:
            raise Refused(f"Risk level must be one of {', '.join(RISKS)}.")
        acting = self.access.actor(actor)
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            self._require(acting, case, Action.RISK)
            if case.risk == risk:
                raise Refused(f"Case #{case.id} is already {risk} risk.")
            self.change_risk(session, case, account, actor, risk)
            return CaseView.of(case)

    def load_open(self, session: Session, case_id: int) -> tuple[Case, Account]:
        """An open case for another service's change in the caller's unit of work; raises
        Refused when it does not exist or is closed. Who may act is the caller's to decide."""
        case, account = self._load(session, case_id)
        self._require_open(case)
        return case, account

    def change_risk(
        self,
        session: Session,
        case: Case,
        account: Account,
        actor: str | None,
        risk: str,
        because: str | None = None,
        *,
        opening: bool = False,
    ) -> bool:
        """Set the risk level inside the caller's unit of work, with its timeline line;
        False when it already was that level. For other services (turnover answers);
        `opening`: part of opening the case (see `Timeline.acted`)."""
        if risk not in RISKS:
            raise ValueError(f"unknown risk level {risk!r}")
        if case.risk == risk:
            return False
        previous, case.risk = case.risk, risk
        text = f"{who(actor)} changed the risk level from {previous} to {risk}"
        text += f" ({because})." if because else "."
        self.timeline.acted(  # a change: a line
            session, case, account, actor, CaseEventType.RISK, text, opening=opening
        )
        return True

    def add_note(self, case_id: int, actor: str, note: str) -> CaseView:
        note = note.strip()
        if not note:
            raise Refused("A note cannot be empty.")
        acting = self.access.actor(actor)
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require(acting, case, Action.NOTE)
            line = f"{who(actor)} added a note: {quiet(note, 2900)}"
            self.timeline.acted(session, case, account, actor, CaseEventType.NOTE, line)
            return CaseView.of(case)

    def close(self, case_id: int, actor: str, status: str, reason: str | None = None) -> CaseView:
        """Mark saved, churned or moved on (moving on needs a reason, and above the policy's
        ARR a manager's confirmation: see `Lifecycle.request_move_on`)."""
        if status not in CLOSED_STATUSES:
            raise Refused(f"{status} is not a way to close a case.")
        if status == CaseStatus.MOVED_ON and not (reason or "").strip():
            raise Refused("Moving on needs a reason.")
        acting = self.access.actor(actor)
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require(
                acting, case, Action.MOVE_ON if status == CaseStatus.MOVED_ON else Action.CLOSE
            )
            if status == CaseStatus.MOVED_ON and self._needs_confirmation(case, acting):
                managers = acting.team.members("managers")
                self.lifecycle.request_move_on(
                    session, case, account, actor, reason or "", managers
                )
            else:
                self.lifecycle.transition(session, case, account, status, actor, reason)
            return CaseView.of(case)

    def _needs_confirmation(self, case: Case, acting: Actor) -> bool:
        if acting.team.is_manager(acting.user):
            return False
        return self.policy.move_on_needs_confirmation(case.arr_at_risk)

    def confirm_move_on(self, case_id: int, actor: str, confirm: bool) -> CaseView:
        """A manager confirms (or declines) a pending move-on."""
        acting = self.access.actor(actor)
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require(acting, case, Action.CONFIRM_MOVE_ON)
            self.lifecycle.settle_move_on(session, case, account, actor, confirm)
            return CaseView.of(case)

    def customer_left(self, account_id: int, *, involuntary: bool, why: str) -> CaseView | None:
        """The customer is gone (e.g. Stripe `customer.subscription.deleted`): the account's
        open churn case, or else its moved-on one, becomes churned through the one
        transition, so the survey is asked. None when there is neither (the caller opens
        a case already churned). `involuntary`: the subscription ended on a failed payment."""
        with self.db.session() as session:
            case = store.open_case(session, account_id, Track.CHURN) or store.latest_case(
                session, account_id, Track.CHURN, CaseStatus.MOVED_ON
            )
            if case is None:
                return None
            case, account = self._load(session, case.id)
            self.lifecycle.transition(
                session, case, account, CaseStatus.CHURNED, None, why, {"involuntary": involuntary}
            )
            return CaseView.of(case)

    def reopen(self, case_id: int, actor: str) -> CaseView:
        acting = self.access.actor(actor)
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require(acting, case, Action.REOPEN)
            other = store.open_case(session, case.account_id, case.track)
            if other is not None and other.id != case.id:
                raise Refused(
                    f"*{esc(account.name)}* already has open case #{other.id}; use that one."
                )
            self.lifecycle.transition(session, case, account, CaseStatus.WORKING, actor)
            return CaseView.of(case)

    def snooze(self, case_id: int, actor: str, until: datetime) -> CaseView:
        """Pause nudges until `until`; the owner is nudged when the snooze ends."""
        now = self.clock.now()
        if until <= now:
            raise Refused("Pick a time in the future.")
        acting = self.access.actor(actor)
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            self._require(acting, case, Action.SNOOZE)
            case.snoozed_until = until
            self.timeline.acted(
                session,
                case,
                account,
                actor,
                CaseEventType.SNOOZE,
                f"{who(actor)} snoozed the case until {time_token(until)}.",
            )
            followups.snoozed(session, self.policy, case, until, now)
            return CaseView.of(case)

    def remind(self, case_id: int, actor: str, at: datetime) -> CaseView:
        """The person sets the next follow-up themselves."""
        now = self.clock.now()
        if at <= now:
            raise Refused("Pick a time in the future.")
        acting = self.access.actor(actor)
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            self._require(acting, case, Action.REMIND)
            self.timeline.acted(
                session,
                case,
                account,
                actor,
                CaseEventType.REMINDER,
                f"{who(actor)} set a reminder for {time_token(at)}.",
            )
            followups.reminder_set(session, case, actor, at, now)
            return CaseView.of(case)

    def remove_csm(self, case_id: int, actor: str, reason: str) -> CaseView:
        """Only a manager removes a CSM from an account (e.g. an abusive customer)."""
        acting = self.access.actor(actor)
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require(acting, case, Action.REMOVE_CSM)
            if not reason.strip():
                raise Refused("Removing a CSM needs a reason.")
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
                f"{who(actor)} removed {who(removed)} as CSM: {quiet(reason, 2000)}",
            )
            for open_case in store.open_cases_of_account(session, account.id, lock=True):
                open_case.csm = None
                self.timeline.acted(
                    session,
                    open_case,
                    account,
                    actor,
                    CaseEventType.CSM_REMOVED,
                    f"{who(actor)} removed {who(removed)} as CSM: {quiet(reason, 2000)}",
                )
            return CaseView.of(case)


class Handover:
    """Mixed into `CaseService`, which provides these and `team` and `_load`."""

    db: Database
    clock: Clock
    team_service: TeamService
    timeline: Timeline

    def person_changed(self, facts: PersonFacts) -> bool:
        """What Slack says about a user (`user_change`, `team_join`) is kept; if they are no
        longer a real person, their open cases are handed over. False when the facts are
        older than those stored (a retried event arriving late): nothing is kept or handed
        over, and the caller must not act on them either. Calls Slack (the users' standing,
        the team): never inside a unit of work."""
        if not self.team_service.person_changed(facts):
            return False
        home = self.team_service.directory.home()
        person = Person(facts.user_id, facts.standing(home))
        if not person.real:
            self.drop_cover(person)
            self.hand_over(person)
        return True

    def drop_cover(self, person: Person) -> None:
        """`person` no longer covers anyone's time off (docs/hours.md): new cases go to the
        save desk, then a manager, instead; whoever chose them is told."""
        now = self.clock.now()
        with self.db.session() as session:
            for away in hours_store.drop_cover(session, person.user_id, now):
                outbox.notify(session, now, away.user_id, cover_gone(person))

    def hand_over_gone(self) -> list[int]:
        """Hand over the open cases of every owner or CSM who is no longer a real person,
        asking Slack (`users.info`) about those it was not asked about within the hour
        (bot/people/directory.py, `STANDING_FRESH`): a `user_change` the app never got (down
        past Slack's retries) or could not act on still hands the cases over, within the
        hour (docs/cases.md, *Routing*). Run by the scheduler; calls Slack, so never inside
        a unit of work. Returns the cases handed over."""
        with self.db.read() as session:
            holders = store.open_case_holders(session)
        if not holders:
            return []
        people = self.team_service.directory.people(sorted(holders))
        done = []
        for person in (p for p in people.values() if not p.real):
            self.drop_cover(person)
            done += self.hand_over(person)
        return done

    def hand_over(self, person: Person) -> list[int]:
        """Hand over every open case `person` (not a real person) owns or is the CSM of."""
        with self.db.read() as session:
            held = store.open_cases_held_by(session, person.user_id)
            csms = {c.csm for c in held if c.csm and c.csm != person.user_id}
        if not held:
            return []
        standing = self.team_service.directory.people(sorted(csms))
        team: Team = self.team()
        done = []
        with self.db.session() as session:
            for case_id in [c.id for c in held]:
                case, account = self._load(session, case_id)
                if self._hand_over(session, case, account, person, standing, team):
                    done.append(case.id)
        return done

    def _hand_over(
        self,
        session: Session,
        case: Case,
        account: Account,
        person: Person,
        standing: dict[str, Person],
        team: Team,
    ) -> bool:
        user, changed = person.user_id, False
        if case.csm == user:
            case.csm, changed = None, True
            line = f"{who(user)} (the case's CSM) {person.why}: the case has no CSM now."
            self.timeline.by_system(session, case, CaseEventType.CSM_GONE, line)
        if case.owner != user:
            return changed
        new_owner, how = self._fallback(session, case, standing, team)
        now = self.clock.now()
        case.owner, case.assigned_at = new_owner, now if new_owner else None
        to = f"handed over to {who(new_owner)} ({how})" if new_owner else how
        line = f"Routing: {who(user)} (the owner) {person.why}; {to}."
        details = {"from": user, "to": new_owner, "why": person.standing.value}
        self.timeline.by_system(session, case, CaseEventType.REASSIGNED, line, details)
        root = store.root_message(session, case)
        if new_owner and root is not None:
            dm = owner_dm(case, account, f"{who(user)} {person.why}; the case is yours now.")
            outbox.linked(session, now, new_owner, root, dm, flush=False)
        presenter, managers = self.timeline.presenter, team.members("managers")
        followups.changed_hands(session, case, presenter, now, managers, gone=user)
        return True

    @staticmethod
    def _fallback(
        session: Session, case: Case, standing: dict[str, Person], team: Team
    ) -> tuple[str | None, str]:
        """The case's CSM if a real person, else the manager with the fewest open cases."""
        csm = case.csm and standing.get(case.csm)
        if csm and csm.real:
            return csm.user_id, "the case's CSM"
        managers = team.members("managers")
        manager = pick_by_load(managers, store.open_case_counts(session, managers))
        if manager is not None:
            return manager, "a manager, as the case has no CSM who can take it"
        return None, "nobody could take it: no CSM and no managers are set"
