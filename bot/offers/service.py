"""Save offers: proposed in the thread, approved by the policy's approver, then answered.

The first matching `[[offers.approval]]` rule names the approver: "none" applies the
offer at once; otherwise only the named approvers decide, never the proposer. Exactly one
decision wins (a conditional UPDATE), the request is edited in place, the proposer is told,
and an undecided request nudges its approvers on the escalation timings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import Refused
from bot.cases.service import CaseService
from bot.common.amounts import parse_amount
from bot.common.formatting import money
from bot.common.text import esc, quiet, who
from bot.common.vocab import (
    OFFER_TYPE_LABELS,
    CaseEventType,
    OfferOutcome,
    OfferStatus,
    OfferType,
    StepKind,
)
from bot.hours.presence import Presence
from bot.hours.reach import is_copy, reach
from bot.offers import concessions as ledgers
from bot.offers.models import ANSWER_EVENTS, DECIDED_EVENTS, DECISIONS, OfferDecision, OfferView
from bot.offers.words import describe_offer
from bot.people.access import Action, Actor, Involved
from bot.people.team import Team
from bot.policy import NO_APPROVAL, ROLE_NAMES, Policy
from storage import cases as case_store
from storage import offers as store
from storage import steps as step_store
from storage.models import OPEN_STATUSES, Account, Case, Offer, OutboxMessage, ScheduledStep

NUDGE = StepKind.OFFER_NUDGE


@dataclass(frozen=True)
class OfferInput:
    type: str
    value: Decimal
    discount_pct: Decimal | None
    duration: str | None
    justification: str
    tried: str | None


def _amount(text: str | None, field: str, errors: dict[str, str]) -> Decimal | None:
    if text is None or not str(text).strip():
        return None
    try:
        return parse_amount(str(text))
    except ValueError as err:
        errors[field] = f"{str(err).capitalize()}."
        return None


def read_offer(fields: dict[str, Any]) -> tuple[OfferInput | None, dict[str, str]]:
    """Validate the proposal form; errors are keyed by field so the modal can show them."""
    errors: dict[str, str] = {}
    kind = fields.get("type")
    if kind not in OFFER_TYPE_LABELS:
        errors["type"] = "Pick an offer type."
    value = _amount(fields.get("value"), "value", errors)
    if value is None and "value" not in errors:
        errors["value"] = "Enter the offer's value in the account's currency (0 if none)."
    pct = _amount(fields.get("discount_pct"), "discount_pct", errors)
    if pct is not None and pct > 100:
        errors["discount_pct"] = "A discount is between 0 and 100%."
    if kind == OfferType.DISCOUNT and pct is None and "discount_pct" not in errors:
        errors["discount_pct"] = "A discount needs its percentage."
    justification = (fields.get("justification") or "").strip()
    if not justification:
        errors["justification"] = "Say why this offer is worth it."
    if len((fields.get("duration") or "").strip()) > 100:
        errors["duration"] = "Keep the duration under 100 characters."
    if errors:
        return None, errors
    assert value is not None
    return OfferInput(
        type=str(kind),
        value=value,
        discount_pct=pct,
        duration=(fields.get("duration") or "").strip() or None,
        justification=justification,
        tried=(fields.get("tried") or "").strip() or None,
    ), {}


def _nobody(_user: str) -> bool:
    return False


class OfferService:
    def __init__(self, cases: CaseService) -> None:
        self.cases = cases
        self.db = cases.db
        self.policy: Policy = cases.policy
        self.clock = cases.clock
        self.present = cases.timeline.presenter  # bot.ports.Presenter

    def approvers(
        self, approver: str, team: Team, proposer: str, away: Callable[[str], bool] = _nobody
    ) -> list[str]:
        """Who may decide: the rule's role or person, never the proposer; managers else.
        People `away` are passed over for another approver (the rule's others, then the
        managers) while anyone else is there (docs/hours.md)."""
        if approver in ROLE_NAMES:
            people = list(team.members(approver))
        else:
            people = list(team.resolve(approver))
        people = [p for p in people if p != proposer]
        managers = [m for m in team.members("managers") if m != proposer]
        for pool in (people, managers):
            here = [p for p in pool if not away(p)]
            if here:
                return here
        return people or managers

    def history(self, case_id: int) -> list[OfferView]:
        """The case's offers, oldest first, as frozen views (for the propose modal)."""
        with self.db.read() as session:
            return [OfferView.of(offer) for offer in store.for_case(session, case_id)]

    def concessions(self, case_id: int) -> list[ledgers.Concession]:
        """The case's account's concessions of the last 12 months (for the propose modal)."""
        with self.db.read() as session:
            case = case_store.get(session, case_id)
            if case is None:
                return []
            return ledgers.ledger(session, case.account_id, self.clock.now())

    def _ledger(self, session: Session, offer: Offer, account_id: int) -> list[ledgers.Concession]:
        """The account's other concessions of the last 12 months, shown on a request."""
        found = ledgers.ledger(session, account_id, offer.created_at)
        return [c for c in found if c.offer_id != offer.id]

    def propose(self, case_id: int, actor: str, data: OfferInput) -> OfferView:
        acting = self.cases.access.actor(actor)
        team = acting.team
        with self.db.session() as session:
            case, account = self.cases.load_for_action(session, case_id, acting, Action.OFFER)
            approver = self.policy.approver_for(data.discount_pct, data.value, case.arr_at_risk)
            earlier = ledgers.ledger(session, account.id, self.clock.now())
            approver = ledgers.approver_with_ledger(approver, earlier)  # the third: managers
            offer = Offer(
                case_id=case.id,
                proposer=actor,
                approver=approver,
                status=OfferStatus.APPROVED if approver == NO_APPROVAL else OfferStatus.PENDING,
                created_at=self.clock.now(),
                **data.__dict__,
            )
            session.add(offer)
            session.flush()
            if approver == NO_APPROVAL:
                self._applied(session, case, account, offer)
            else:
                self._request(session, case, account, offer, team)
            return OfferView.of(offer)

    def _applied(self, session: Session, case: Case, account: Account, offer: Offer) -> None:
        text = (
            f"{who(offer.proposer)} applied a save offer within policy (no approval needed): "
            f"{describe_offer(offer, account.currency)}"
        )
        details = {"offer_id": offer.id}
        self.cases.timeline.acted(  # the offer's own message (posted next) says it
            session, case, account, offer.proposer, CaseEventType.OFFER_APPLIED, text, details,
            in_thread=False,
        )  # fmt: skip
        self._post_request(session, case, account, offer, [])

    def _request(
        self, session: Session, case: Case, account: Account, offer: Offer, team: Team
    ) -> None:
        approvers = self.approvers(offer.approver, team, offer.proposer, self._away(session))
        text = (
            f"{who(offer.proposer)} proposed a save offer needing approval: "
            f"{describe_offer(offer, account.currency)}"
        )
        self.cases.timeline.acted(  # the request (posted next) says it, with its buttons
            session, case, account, offer.proposer, CaseEventType.OFFER_PROPOSED, text,
            in_thread=False,
        )  # fmt: skip
        self._post_request(session, case, account, offer, approvers)
        delay = self.policy.escalation.acknowledge_within
        self._schedule_nudge(session, offer, 1, self.clock.now(), delay)

    def _schedule_nudge(
        self, session: Session, offer: Offer, n: int, now: datetime, delay: timedelta
    ) -> None:
        """The `n`th reminder to the approvers, `delay` of business time after `now` (UTC)."""
        step_store.schedule(
            session,
            key=f"offer:{offer.id}:nudge:{n}",
            kind=NUDGE,
            due_at=now + delay,  # each approver is reached in their hours (bot/hours/reach.py)
            now=now,
            case_id=offer.case_id,
            payload={"offer_id": offer.id, "n": n},
        )

    def _post_request(
        self, session: Session, case: Case, account: Account, offer: Offer, approvers: list[str]
    ) -> None:
        root = case_store.root_message(session, case)
        if root is None:
            return
        ledger = self._ledger(session, offer, account.id)
        view = OfferView.of(offer)
        text, blocks = self.present.offer_request(view, account.currency, approvers, ledger)
        message = outbox.reply(session, self.clock.now(), root, text, blocks)
        offer.request_message_id = message.id

    def decide(
        self,
        offer_id: int,
        actor: str,
        decision: OfferDecision | str,
        counter_value: Decimal | None = None,
        note: str | None = None,
    ) -> OfferView:
        if decision not in DECISIONS:
            raise Refused(f"{decision} is not a decision.")
        if decision == OfferDecision.COUNTER and counter_value is None:
            raise Refused("A counter needs a value.")
        acting = self.cases.access.actor(actor)
        with self.db.session() as session:
            offer = self._offer(session, offer_id)
            case_store.get_locked(session, offer.case_id)  # the case first: `details` rewritten
            self._check_decider(session, offer, acting)
            now, status = self.clock.now(), DECISIONS[decision]
            won = store.decide(
                session,
                offer.id,
                status=status,
                decided_by=actor,
                decided_at=now,
                decision_note=note,
                counter_value=counter_value,
            )
            if not won:
                session.rollback()
                raise Refused(self._already(self._offer(session, offer_id)))
            session.refresh(offer)
            self._announce_decision(session, offer, acting.team)
            return OfferView.of(offer)

    def may_decide(self, offer_id: int, actor: str) -> None:
        """Check before opening the counter modal (last known team, as `CaseService.may`);
        raises Refused. The counter's submission checks again with a fresh team."""
        acting = self.cases.access.actor(actor, fresh=False)
        with self.db.read() as session:
            self._check_decider(session, self._offer(session, offer_id), acting)

    def _check_decider(self, session: Session, offer: Offer, acting: Actor) -> None:
        case = case_store.get(session, offer.case_id)
        if offer.status == OfferStatus.PENDING and (
            case is None or case.status not in OPEN_STATUSES
        ):
            raise Refused("This case is closed; reopen it before deciding its offers.")
        if acting.person.real and acting.user == offer.proposer:
            raise Refused("You proposed this offer; someone else must decide it.")
        away = self._away(session)
        approvers = self.approvers(offer.approver, acting.team, offer.proposer, away)
        acting.require(Action.DECIDE_OFFER, Involved(approvers=frozenset(approvers)))
        if offer.status != OfferStatus.PENDING:
            raise Refused(self._already(offer))

    def _already(self, offer: Offer) -> str:
        by = f" by {who(offer.decided_by)}" if offer.decided_by else ""
        return f"This offer was already {offer.status}{by}."

    def _announce_decision(self, session: Session, offer: Offer, team: Team) -> None:
        case, account = self._case(session, offer)
        currency = account.currency
        counter = f" at {money(offer.counter_value, currency)}" if offer.counter_value else ""
        note = f": {quiet(offer.decision_note, 1000)}" if offer.decision_note else ""
        text = f"{who(offer.decided_by)} {offer.status} the save offer{counter}{note}"
        self.cases.timeline.acted(
            session, case, account, offer.decided_by, DECIDED_EVENTS[offer.status], text,
            {"offer_id": offer.id}, in_thread=False,  # the request, edited, says it
        )  # fmt: skip
        self._edit_request(session, offer, currency)
        outbox.notify(
            session,
            self.clock.now(),
            offer.proposer,
            f"Your save offer on *{esc(account.name)}* (case #{case.id}) was {offer.status}"
            f"{counter} by {who(offer.decided_by)}{note}.",
        )
        step_store.cancel(
            session,
            case_id=case.id,
            kinds=(NUDGE,),
            now=self.clock.now(),
            key_prefix=f"offer:{offer.id}:",
        )

    def _edit_request(self, session: Session, offer: Offer, currency: str) -> None:
        request = session.get(OutboxMessage, offer.request_message_id or 0)
        if request is None:
            return
        case, _ = self._case(session, offer)
        ledger = self._ledger(session, offer, case.account_id)
        text, blocks = self.present.offer_request(OfferView.of(offer), currency, [], ledger)
        outbox.update(session, self.clock.now(), request, text, blocks)

    def record_outcome(self, offer_id: int, actor: str, accepted: bool) -> OfferView:
        """The customer's answer to an approved offer."""
        acting = self.cases.access.actor(actor)
        with self.db.session() as session:
            offer = self._offer(session, offer_id)
            self.cases.load_for_action(session, offer.case_id, acting, Action.OFFER_OUTCOME)
            if offer.status not in (OfferStatus.APPROVED, OfferStatus.COUNTERED):
                raise Refused(f"This offer is {offer.status}; only approved offers get an answer.")
            outcome = OfferOutcome.ACCEPTED if accepted else OfferOutcome.DECLINED
            if not store.record_outcome(session, offer.id, outcome, self.clock.now()):
                raise Refused(f"The customer's answer was already recorded ({offer.outcome}).")
            session.refresh(offer)
            case, account = self._case(session, offer)
            follow = (
                " Mark the case saved when it is done." if accepted else " The case stays open."
            )
            self.cases.timeline.acted(
                session,
                case,
                account,
                actor,
                ANSWER_EVENTS[outcome],
                f"{who(actor)} recorded that the customer {outcome} the offer "
                f"({describe_offer(offer, account.currency)}).{follow}",
                {"offer_id": offer.id},
                in_thread=False,  # the offer's message, edited in place, says it
            )
            self._edit_request(session, offer, account.currency)
            return OfferView.of(offer)

    def _offer(self, session: Session, offer_id: int) -> Offer:
        offer = store.get(session, offer_id)
        if offer is None:
            raise Refused(f"Offer #{offer_id} does not exist.")
        return offer

    def _away(self, session: Session) -> Callable[[str], bool]:
        """Whether a person is on time off now (read in this unit of work)."""
        presence = Presence(session, self.policy, self.clock.now())
        return lambda user: presence.away(user) is not None

    @staticmethod
    def _dm(session: Session, case: Case, people: list[str], text: str, now: datetime) -> None:
        root = case_store.root_message(session, case)
        for person in people:
            if root is not None:
                outbox.linked(
                    session, now, person, root, text + "\n<{thread_link}|Open the thread>"
                )

    def _case(self, session: Session, offer: Offer) -> tuple[Case, Account]:
        case = case_store.get(session, offer.case_id)
        assert case is not None
        account = session.get(Account, case.account_id)
        assert account is not None
        return case, account

    def nudge(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        """Step handler: a request still undecided reminds its approvers, then repeats."""
        offer = store.get(session, int(step.payload.get("offer_id", 0)))
        if offer is None or offer.status != OfferStatus.PENDING:
            return
        case, account = self._case(session, offer)
        if case.status not in OPEN_STATUSES:
            return
        team = self.cases.team(stale_ok=True)  # inside the step's transaction: no lookups
        approvers = self.approvers(offer.approver, team, offer.proposer, self._away(session))
        text = (
            f":hourglass: A save offer on *{esc(account.name)}* (case #{case.id}) is waiting for "
            f"a decision: {' '.join(who(a) for a in approvers)}"
        )
        reached = reach(session, self.policy, team, step, approvers, now)
        if is_copy(step):  # the thread heard it; only this approver's DM was waiting
            self._dm(session, case, reached.now, text, now)
            return
        self.cases.timeline.line(session, case, None, CaseEventType.OFFER_NUDGE, text)
        self._dm(session, case, reached.now, text, now)
        n = int(step.payload.get("n", 1)) + 1
        self._schedule_nudge(session, offer, n, now, self.policy.escalation.repeat_every)
