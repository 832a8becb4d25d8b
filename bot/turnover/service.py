"""Main-contact turnover: record who left, keep the action plan, tell sales (docs/turnover.md).

A submitted turnover modal opens (or joins) the account's churn-track case through the one
`SignalService.open`, then, in one unit of work, stores the answers and the derived plan,
posts the plan as a checklist in the case thread, sets the risk level through the case
service, posts the sales lead when the contact went to another company, and refreshes the
root, whose lines show each departed contact's `plan N% complete` (`root_lines`).
Ticks, assignments and updates are each one unit of work with their timeline line. The
time at risk stops when the last step is done, or when the case closes (`CaseClosed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import Opened, Refused, Signal
from bot.cases.service import CaseService
from bot.cases.timeline import Timeline
from bot.common.clock import Clock
from bot.common.text import who
from bot.common.vocab import CaseEventType, Kind, RiskLevel
from bot.people.access import Action, Actor, Involved
from bot.people.team import TeamService
from bot.policy import Policy
from bot.ports import Presenter
from bot.signals.service import SignalService
from bot.turnover import records
from bot.turnover.answers import Answers, Destination
from bot.turnover.models import PlanView
from bot.turnover.plan import PlanContext, combined_risk, risk_level
from bot.turnover.words import (
    assign_line,
    changed_answers,
    lead_line,
    lead_text,
    progress_line,
    risk_ended_line,
    tick_line,
)
from storage import cases as cases_store
from storage import turnover as store
from storage.db import Database
from storage.models import Account, Case, OutboxMessage, PlanStep, Turnover


@dataclass(frozen=True)
class ModalTarget:
    """What the turnover modal needs to open: the account, and the case / turnover."""

    account_id: int
    account_label: str
    case_id: int | None = None
    plan: PlanView | None = None


class TurnoverService:
    """Turnovers on churn-track cases; refusals raise `Refused` with the sentence to show."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        cases: CaseService,
        signals: SignalService,
        team: TeamService,
    ) -> None:
        self.db, self.policy, self.clock = db, policy, clock
        self.cases, self.signals, self.team = cases, signals, team
        self.present = cases.timeline.presenter  # bot.ports.Presenter

    # -- opening the modal ----------------------------------------------------------------

    def for_account(self, account_id: int) -> ModalTarget:
        """A new turnover on an account (from `/churn risk <account> contact_left`)."""
        with self.db.read() as session:
            account = session.get(Account, account_id)
            if account is None:
                raise Refused("That account no longer exists.")
            return ModalTarget(account.id, _label(account))

    def for_case(self, case_id: int, actor: str, *, fresh: bool = False) -> ModalTarget:
        """A new turnover on an open case (Fill in turnover details): participants only
        (`fresh` False: decided before the modal opens, see `Access.actor`)."""
        acting = self.cases.access.actor(actor, fresh=fresh)
        with self.db.read() as session:
            case, account = self._participant(session, case_id, acting, None)
            return ModalTarget(account.id, _label(account), case_id=case.id)

    def for_turnover(self, turnover_id: int, actor: str, *, fresh: bool = False) -> ModalTarget:
        """An existing turnover's answers to update: participants only."""
        acting = self.cases.access.actor(actor, fresh=fresh)
        with self.db.read() as session:
            turnover = self._turnover(session, turnover_id)
            case, account = self._participant(session, turnover.case_id, acting, None)
            plan = records.plan_view(session, turnover)
            return ModalTarget(account.id, _label(account), case_id=case.id, plan=plan)

    def check_submit(self, actor: str, case_id: int | None, turnover_id: int | None) -> None:
        """Raise Refused before the modal is acknowledged if the person may not save it
        (a turnover with no case yet opens one: anyone who may open a case)."""
        if turnover_id is not None:
            self.for_turnover(turnover_id, actor, fresh=True)
        elif case_id is not None:
            self.for_case(case_id, actor, fresh=True)
        else:
            self.cases.access.require(actor, Action.OPEN_CASE)

    # -- saving the answers ---------------------------------------------------------------

    def submit(
        self,
        answers: Answers,
        actor: str,
        *,
        account_id: int,
        case_id: int | None = None,
        turnover_id: int | None = None,
        signal: Signal | None = None,
    ) -> int | None:
        """Save the modal: update a turnover, or record a new one on `case_id`, or on the
        case that `signal` opens or joins. Returns the turnover id (None for a replayed
        submission, which changes nothing)."""
        if turnover_id is not None:
            self._update(turnover_id, answers, actor)
            return turnover_id
        if case_id is None:
            assert signal is not None, "a new turnover needs a case or a signal"
            opened: Opened = self.signals.open(account_id, signal)
            if opened.duplicate:
                return None
            return self._record(opened.case_id, answers, actor, opening=opened.created)
        return self._record(case_id, answers, actor)

    def _record(self, case_id: int, answers: Answers, actor: str, *, opening: bool = False) -> int:
        with self.db.session() as session:
            case, account = self.cases.load_open(session, case_id)
            before = self._case_risk(session, case)
            turnover, _ = records.record(
                session,
                case_id=case.id,
                account_id=account.id,
                answers=answers,
                policy=self.policy.turnover,
                context=_context(case, account),
                by=actor,
                now=self.clock.now(),
            )
            text = f"{who(actor)} recorded that {answers.contact_name} left; action plan below."
            timeline = self.cases.timeline
            timeline.acted(
                session, case, account, actor, CaseEventType.TURNOVER, text, opening=opening
            )
            self._post_plan(session, case, turnover)  # after the line that announces it
            self._post_lead(session, case, account, turnover)
            self._apply_risk(session, case, account, actor, before, new=True, opening=opening)
            return turnover.id

    def _update(self, turnover_id: int, answers: Answers, actor: str) -> None:
        acting = self.cases.access.actor(actor)
        with self.db.session() as session:
            turnover = self._turnover(session, turnover_id)
            case, account = self._participant(session, turnover.case_id, acting, None)
            before_risk = self._case_risk(session, case)
            changes = changed_answers(Answers.from_columns(turnover), answers)
            records.update(
                session,
                turnover,
                answers=answers,
                policy=self.policy.turnover,
                context=_context(case, account),
                now=self.clock.now(),
            )
            refresh_plan(session, self.clock, self.present, turnover)
            self._post_lead(session, case, account, turnover)
            what = "; ".join(changes) if changes else "no answer changed"
            text = f"{who(actor)} updated the turnover of {turnover.contact_name}: {what}."
            self.cases.timeline.acted(session, case, account, actor, CaseEventType.TURNOVER, text)
            self._apply_risk(session, case, account, actor, before_risk, new=False)

    # -- the plan -------------------------------------------------------------------------

    def plan(self, turnover_id: int) -> PlanView:
        """A turnover's plan as it is now (for the assign modal)."""
        with self.db.read() as session:
            return records.plan_view(session, self._turnover(session, turnover_id))

    def tick(self, step_id: int, actor: str, done: bool) -> None:
        """Tick or untick a step: a timeline line, the checklist and the root's percentage
        edited in place; the last step done stops the time at risk."""
        acting = self.cases.access.actor(actor)
        with self.db.session() as session:
            step, turnover, case, account = self._step(session, step_id, acting)
            result = records.tick(session, step_id, done=done, by=actor, now=self.clock.now())
            assert result is not None
            if result.changed:
                line = tick_line(step.text, turnover.contact_name, done)
                self.cases.timeline.acted(  # the checklist, edited in place, shows it
                    session, case, account, actor, CaseEventType.PLAN_STEP, f"{who(actor)}: {line}",
                    in_thread=False,
                )  # fmt: skip
            if result.risk_ended:
                risk_ended(session, self.cases.timeline, case, turnover, "plan complete")
            refresh_plan(session, self.clock, self.present, turnover)

    def assign(self, step_id: int, actor: str, assignee: str) -> None:
        """Give a step to a person (a Slack user ID): a timeline line, checklist edited."""
        acting = self.cases.access.actor(actor)
        with self.db.session() as session:
            step, turnover, case, account = self._step(session, step_id, acting)
            store.assign(session, step_id, assignee)
            text = f"{who(actor)}: {assign_line(step.text, assignee)}"
            self.cases.timeline.acted(  # the checklist, edited in place, shows it
                session, case, account, actor, CaseEventType.PLAN_STEP, text, in_thread=False
            )
            refresh_plan(session, self.clock, self.present, turnover)

    # -- shared steps ---------------------------------------------------------------------

    def _participant(
        self, session: Session, case_id: int, acting: Actor, assignee: str | None
    ) -> tuple[Case, Account]:
        """The open case, if `acting` may change its turnover plans: the owner, the CSM,
        the step's assignee, a manager or an admin (bot.people.access)."""
        case, account = self.cases.load_open(session, case_id)
        involved = Involved(owner=case.owner, csm=case.csm, assignee=assignee)
        acting.require(Action.TURNOVER, involved)
        return case, account

    def _step(
        self, session: Session, step_id: int, acting: Actor
    ) -> tuple[PlanStep, Turnover, Case, Account]:
        """A plan step `actor` may tick or assign, with its turnover and open case (`team`
        resolved before the unit of work)."""
        step = store.get_step(session, step_id)
        if step is None:
            raise Refused("That plan step no longer exists (the plan was updated).")
        turnover = self._turnover(session, step.turnover_id)
        case, account = self._participant(session, turnover.case_id, acting, step.assignee)
        return step, turnover, case, account

    @staticmethod
    def _turnover(session: Session, turnover_id: int) -> Turnover:
        turnover = store.get(session, turnover_id)
        if turnover is None:
            raise Refused("That turnover no longer exists.")
        return turnover

    def _post_plan(self, session: Session, case: Case, turnover: Turnover) -> None:
        root = cases_store.root_message(session, case)
        if root is None:
            return
        text, blocks = self.present.turnover_checklist(records.plan_view(session, turnover))
        turnover.plan_message_id = outbox.reply(session, self.clock.now(), root, text, blocks).id

    def _post_lead(
        self, session: Session, case: Case, account: Account, turnover: Turnover
    ) -> None:
        """Once per turnover: post the lead, or edit the same message when it changed."""
        answers = Answers.from_columns(turnover)
        sales = self.policy.channels.sales
        if answers.destination is not Destination.ANOTHER_COMPANY or sales is None:
            return
        root = cases_store.root_message(session, case)
        link = None if root is None else root.permalink or outbox.LINK_TOKEN
        text = lead_text(answers, account.name, case.csm or account.csm, link)
        now = self.clock.now()
        if turnover.lead_message_id is not None:
            message = session.get(OutboxMessage, turnover.lead_message_id)
            if message is not None and message.payload.get("text") != text:
                outbox.update(session, now, message, text)
                message.payload = {**message.payload, "text": text}
            return
        if link == outbox.LINK_TOKEN and root is not None:
            message = outbox.linked(session, now, sales, root, text)
        else:
            message = outbox.post(session, now, sales, text)
        turnover.lead_message_id = message.id
        line = f"Lead sent to sales (<#{sales}>): {lead_line(answers)}."
        self.cases.timeline.line(session, case, None, CaseEventType.TURNOVER_LEAD, line)

    def _case_risk(self, session: Session, case: Case) -> str | None:
        levels = [risk_level(Answers.from_columns(t)) for t in store.for_case(session, case.id)]
        return combined_risk(levels) if levels else None

    def _apply_risk(
        self,
        session: Session,
        case: Case,
        account: Account,
        actor: str,
        before: str | None,
        *,
        new: bool,
        opening: bool = False,
    ) -> None:
        """Set the case's risk from the answers (the highest over its departed contacts).

        A new turnover only raises a risk someone set; changed answers set the level their
        answers now give. Otherwise the owner's own choice stands."""
        after = self._case_risk(session, case)
        if after is None or (not new and after == before):
            return
        if new and case.risk == RiskLevel.HIGH and after != RiskLevel.HIGH:
            return
        why = "from the turnover answers"
        self.cases.change_risk(session, case, account, actor, after, because=why, opening=opening)


def _label(account: Account) -> str:
    return f"{account.name} ({account.external_id})"


def _context(case: Case, account: Account) -> PlanContext:
    people = {"owner": case.owner, "csm": case.csm or account.csm}
    people["account_owner"] = account.account_owner
    arr = account.arr if account.arr is not None else case.arr_at_risk
    return PlanContext(arr=arr, segment=account.segment, people=people)


# -- what turnover adds to other domains ---------------------------------------------------
# Built before them by the composition root (docs/ARCHITECTURE.md, *Composition root*): none
# needs the turnover service, so the timeline, lifecycle and signal service take them in
# their constructors.


def root_lines(session: Session, case: Case) -> list[str]:
    """Each departed contact's `plan N% complete` on the case's root."""
    progress = records.progress_of_case(session, case.id)
    if not progress:
        return ["*Main contact left:* answers needed"] if case.kind == Kind.CONTACT_LEFT else []
    lines = [progress_line(p.contact_name, p.percent) for p in progress]
    return ["*Main-contact turnover*", *lines]


def refresh_plan(session: Session, clock: Clock, present: Presenter, turnover: Turnover) -> None:
    """Edit the plan's checklist message in place."""
    if turnover.plan_message_id is None:
        return
    message = session.get(OutboxMessage, turnover.plan_message_id)
    assert message is not None
    text, blocks = present.turnover_checklist(records.plan_view(session, turnover))
    outbox.update(session, clock.now(), message, text, blocks)


def risk_ended(
    session: Session, timeline: Timeline, case: Case, turnover: Turnover, why: str
) -> None:
    """The timeline line that says how long the account was at risk."""
    seconds = turnover.time_at_risk_seconds or 0
    text = risk_ended_line(turnover.contact_name, timedelta(seconds=seconds), why)
    details = {"turnover_id": turnover.id, "why": why}
    timeline.line(session, case, None, CaseEventType.TIME_AT_RISK, text, details)


class CaseClosed:
    """A `Closing` hook: closing a case ends its turnovers' time at risk."""

    def __init__(self, clock: Clock, timeline: Timeline) -> None:
        self.clock = clock
        self.timeline = timeline

    def __call__(self, session: Session, case: Case, account: Account) -> None:
        for turnover in records.case_closed(session, case.id, self.clock.now()):
            risk_ended(session, self.timeline, case, turnover, "case closed")
            refresh_plan(session, self.clock, self.timeline.presenter, turnover)


class AnswersNeeded:
    """A `SignalService` follow-up: a `contact_left` webhook signal carries no answers,
    so ask the owner for them."""

    def __init__(self, db: Database, clock: Clock, cases: CaseService) -> None:
        self.db = db
        self.clock = clock
        self.cases = cases

    def __call__(self, signal: Signal, opened: Opened) -> None:
        if signal.kind != Kind.CONTACT_LEFT or opened.duplicate:
            return
        with self.db.session() as session:
            case, _ = self.cases.load_open(session, opened.case_id)
            root = cases_store.root_message(session, case)
            if root is not None:
                present = self.cases.timeline.presenter
                text, blocks = present.turnover_fill_in(case.id, case.owner)
                outbox.reply(session, self.clock.now(), root, text, blocks)
