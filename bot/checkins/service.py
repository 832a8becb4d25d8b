"""Did the save last? (docs/reports.md, *Did the save last?*)

A saved case schedules one check-in per policy checkpoint (`reports.save_checkpoints`:
days after the save, and the account's renewal date), each a durable scheduled step. When
one is due, Stripe answers by itself if a subscription of the account is active past the
checkpoint; otherwise the case's owner is asked "Is Acme still a customer?" (Still a
customer / Churned / Downgraded with the new ARR). The first answer stands. Churned sets
what the save still brings in (`cases.arr_kept`) to 0 and answers the later check-ins
too; Downgraded sets it to the new ARR. Reopening the case withdraws what is unanswered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import Refused
from bot.cases.timeline import Timeline
from bot.checkins import words
from bot.common.clock import Clock
from bot.common.formatting import whole_money
from bot.common.vocab import CaseEventType, CaseStatus, CheckinAnswer, CheckinState, StepKind
from bot.hours.presence import Presence
from bot.hours.reach import covering, in_hours
from bot.people.team import Team
from bot.policy import Policy
from bot.policy.models import RENEWAL_CHECKPOINT
from bot.runtime.steps import StepHandler
from storage import cases as case_store
from storage import checkins as store
from storage import steps as step_store
from storage.db import Database
from storage.models import Account, Case, OutboxMessage, SaveCheckin, ScheduledStep

STEP = StepKind.SAVE_CHECKIN
RENEWAL_HOUR = time(9, 0)  # a renewal check-in is due at 9:00 in the policy's timezone
ANSWERS = tuple(CheckinAnswer)
CENT = Decimal("0.01")
NOT_ALLOWED = "Only the person asked, the case's owner or CSM, managers or admins can answer."

Blocks = Callable[[str, int, bool], list[dict[str, Any]]]
"""(text, check-in id, answered) → Block Kit blocks: the question with its buttons, or the
answer alone. Set by `wiring.build_services` (slack_edge); text only without it."""


def _text_only(text: str, checkin_id: int, answered: bool) -> list[dict[str, Any]]:
    return []


class CheckinService:
    """Schedules, asks (or lets Stripe answer) and records the answers."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        team: Callable[..., Team],
        timeline: Timeline,
        blocks: Blocks = _text_only,
    ) -> None:
        """`blocks`: the check-in message's buttons (slack_edge.checkin_messages)."""
        self.db = db
        self.policy = policy
        self.clock = clock
        self.team = team
        self.timeline = timeline
        self.blocks = blocks

    def handlers(self) -> Mapping[str, StepHandler]:
        return {STEP: self.run}

    # -- scheduling

    def status_changed(
        self, session: Session, case: Case, account: Account, previous: str, details: dict
    ) -> None:
        """The case lifecycle's listener: a save schedules its check-ins, a reopen of a
        saved case withdraws the unanswered ones."""
        if case.status == CaseStatus.SAVED:
            self.schedule(session, case, account)
        elif previous == CaseStatus.SAVED:
            case.arr_kept = None
            store.withdraw(session, case.id)
            step_store.cancel(session, case_id=case.id, kinds=(STEP,), now=self.clock.now())

    def due_times(self, saved_at: datetime, account: Account) -> list[tuple[str, datetime]]:
        """(checkpoint, due time UTC) of a save at `saved_at`: each day checkpoint, and the
        account's renewal date at 9:00 local time when it falls after the save."""
        due: list[tuple[str, datetime]] = []
        for point in self.policy.reports.save_checkpoints:
            if isinstance(point, int):
                due.append((str(point), saved_at + timedelta(days=point)))
            elif point == RENEWAL_CHECKPOINT and account.renewal_date is not None:
                local = datetime.combine(account.renewal_date, RENEWAL_HOUR, self.policy.timezone)
                if local > saved_at:
                    due.append((RENEWAL_CHECKPOINT, local.astimezone(saved_at.tzinfo)))
        return due

    def schedule(self, session: Session, case: Case, account: Account) -> list[int]:
        """The check-ins of this save (replacing an earlier save's), each with its step."""
        now = self.clock.now()
        saved_at = case.closed_at or now
        case.arr_kept = None
        step_store.cancel(session, case_id=case.id, kinds=(STEP,), now=now)
        due = self.due_times(saved_at, account)
        rows = [
            {
                "account_id": account.id,
                "checkpoint": point,
                "saved_at": saved_at,
                "due_at": at,
                "arr_saved": case.arr_saved,
            }
            for point, at in due
        ]
        ids = store.replace_for_save(session, case.id, rows)
        steps = [
            {
                "key": f"checkin:{checkin_id}",
                "kind": STEP,
                "due_at": at,
                "case_id": case.id,
                "payload": {"checkin": checkin_id},
            }
            for checkin_id, (_, at) in zip(ids, due, strict=True)
        ]
        if steps:
            step_store.schedule_many(session, steps, now)
        return ids

    # -- asking

    def run(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        """Step handler: Stripe answers if it can, else the owner is asked, or their cover
        while they are away, at the start of that person's next working window
        (docs/hours.md): until then the step waits, scheduled again for that moment."""
        checkin = store.get(session, int(step.payload.get("checkin", 0)))
        if checkin is None or checkin.state != CheckinState.PENDING:
            return
        case = case_store.get_locked(session, checkin.case_id)  # the case first, as `answer`
        session.refresh(checkin, with_for_update=True)
        if checkin.state != CheckinState.PENDING:
            return
        account = session.get(Account, checkin.account_id)
        assert case is not None and account is not None
        if case.status != CaseStatus.SAVED:
            store.withdraw(session, case.id)
            return
        live = store.live_subscriptions(session, account.id, checkin.due_at)
        if live:
            self._stripe_answers(session, checkin, case, account, live, now)
            return
        person, notes = case.owner or case.csm or account.csm, []
        if person:  # their cover while away; the question waits for their working window
            person = covering(
                session,
                Presence(session, self.policy, now),
                self.team(stale_ok=True),
                person,
                notes,
            )
            opens = in_hours(session, self.policy, person, now)
            if opens > now:
                step_store.schedule(
                    session,
                    key=f"checkin:{checkin.id}:at:{int(opens.timestamp())}",
                    kind=STEP,
                    due_at=opens,
                    now=now,
                    case_id=case.id,
                    payload={"checkin": checkin.id},
                )
                return
        self._ask(session, checkin, case, account, person, now, notes)

    def _stripe_answers(
        self,
        session: Session,
        checkin: SaveCheckin,
        case: Case,
        account: Account,
        live: list[tuple[str, Decimal | None]],
        now: datetime,
    ) -> None:
        """Customer; downgraded when Stripe knows every live subscription's ARR and they add
        up to less than the ARR saved."""
        answer, new_arr = CheckinAnswer.CUSTOMER, None
        arrs = [arr for _, arr in live]
        if checkin.arr_saved is not None and all(a is not None for a in arrs):
            kept = sum((a for a in arrs if a is not None), Decimal(0))
            if kept < checkin.arr_saved:
                answer, new_arr = CheckinAnswer.DOWNGRADED, kept
        store.answer(session, checkin.id, answer=answer, by="stripe", at=now, new_arr=new_arr)
        session.refresh(checkin)
        self._apply(session, checkin, case)
        text = words.stripe_answered(checkin, account, [sid for sid, _ in live], checkin.due_at)
        self.timeline.line(session, case, None, CaseEventType.CHECKIN_ANSWERED, text)

    def _ask(
        self,
        session: Session,
        checkin: SaveCheckin,
        case: Case,
        account: Account,
        person: str | None,
        now: datetime,
        notes: list[str],
    ) -> None:
        """Ask `person` (the owner, or their cover: `notes` says so in the thread)."""
        text = words.question(checkin, case, account)
        blocks = self.blocks(text, checkin.id, False) or None
        root = case_store.root_message(session, case)
        message: OutboxMessage | None = None
        if person and root is not None:
            message = outbox.linked(session, now, person, root, text, blocks)
        elif person:
            message = outbox.notify(session, now, person, text, blocks)
        elif root is not None:
            message = outbox.reply(session, now, root, text, blocks)
        checkin.state, checkin.asked_to = CheckinState.ASKED, person
        checkin.message_id = message.id if message is not None else None
        self.timeline.line(
            session,
            case,
            None,
            CaseEventType.CHECKIN_ASKED,
            " ".join([words.asked(checkin, person), *notes]),
        )

    # -- answers

    def may_answer(self, checkin_id: int, user: str) -> tuple[str, str]:
        """(account name, ARR saved as text) if `user` may still answer; raises Refused
        (for the Downgraded button, before its modal opens)."""
        team = self.team(stale_ok=True)
        with self.db.read() as session:
            checkin, case, account = self._load(session, checkin_id)
            self._check(user, checkin, case, account, team)
            return account.name, whole_money(checkin.arr_saved or 0, account.currency)

    def answer(
        self, checkin_id: int, user: str, answer: str, new_arr: Decimal | None = None
    ) -> None:
        """Record `user`'s answer (a CheckinAnswer; Downgraded needs `new_arr`, less than
        the ARR saved, in the account's currency). The first answer stands. Raises Refused."""
        if answer not in ANSWERS:
            raise Refused(f"answer must be one of {', '.join(ANSWERS)}")
        if answer == CheckinAnswer.DOWNGRADED and new_arr is None:
            raise Refused("A downgrade needs the new ARR.")
        team = self.team()
        now = self.clock.now()
        with self.db.session() as session:
            checkin, case, account = self._load(session, checkin_id, lock=True)
            self._check(user, checkin, case, account, team)
            if answer == CheckinAnswer.DOWNGRADED:
                assert new_arr is not None
                new_arr = new_arr.quantize(CENT)  # what the column keeps
                if new_arr <= 0:
                    raise Refused(words.NOTHING_LEFT)
                if checkin.arr_saved is not None and new_arr >= checkin.arr_saved:
                    raise Refused(words.not_less(new_arr, checkin.arr_saved, account.currency))
            kept = new_arr if answer == CheckinAnswer.DOWNGRADED else None
            if not store.answer(session, checkin.id, answer=answer, by=user, at=now, new_arr=kept):
                raise Refused("This check-in was already answered.")
            session.refresh(checkin)
            self._apply(session, checkin, case)
            text = words.answered(checkin, account, f"<@{user}>")
            self.timeline.line(session, case, user, CaseEventType.CHECKIN_ANSWERED, text)
            message = session.get(OutboxMessage, checkin.message_id or 0)
            if message is not None:
                outbox.update(session, now, message, text, self.blocks(text, checkin.id, True))

    def _load(
        self, session: Session, checkin_id: int, *, lock: bool = False
    ) -> tuple[SaveCheckin, Case, Account]:
        """`lock`: for an answer, the case row first (as every writer of a case), then the
        check-in, both read afresh: two answers at once each set `arr_kept` from all."""
        checkin = store.get(session, checkin_id)
        load = case_store.get_locked if lock else case_store.get
        case = load(session, checkin.case_id) if checkin else None
        if lock and checkin is not None:
            session.refresh(checkin, with_for_update=True)
        account = session.get(Account, checkin.account_id) if checkin else None
        if checkin is None or case is None or account is None:
            raise Refused("This check-in no longer exists.")
        return checkin, case, account

    @staticmethod
    def _check(user: str, checkin: SaveCheckin, case: Case, account: Account, team: Team) -> None:
        people = {checkin.asked_to, case.owner, case.csm, account.csm, account.account_owner}
        if user not in people and not any(user in team.members(r) for r in ("managers", "admins")):
            raise Refused(NOT_ALLOWED)
        if checkin.state == CheckinState.WITHDRAWN:
            raise Refused("The case was reopened; this check-in no longer applies.")
        if checkin.state == CheckinState.ANSWERED:
            by = "Stripe" if checkin.answered_by == "stripe" else f"<@{checkin.answered_by}>"
            raise Refused(f"This check-in was already answered by {by}.")

    @staticmethod
    def _apply(session: Session, checkin: SaveCheckin, case: Case) -> None:
        """What the save still brings in (`cases.arr_kept`, None: all of it), from the
        answers in checkpoint order whatever order they came in: 0 after Churned, the new
        ARR after Downgraded, all of it again after a Still a customer that follows a
        Churned. An earlier checkpoint answered late never overrides a later one."""
        if checkin.answer == CheckinAnswer.CHURNED:
            store.churn_later(session, checkin)
        case.arr_kept = kept_after(store.for_case(session, case.id))


def kept_after(checkins: list[SaveCheckin]) -> Decimal | None:
    """The ARR a save still brings in after its answered check-ins (earliest due first);
    None while none says it dropped."""
    kept: Decimal | None = None
    for checkin in checkins:
        if checkin.state != CheckinState.ANSWERED:
            continue
        if checkin.answer == CheckinAnswer.CHURNED:
            kept = Decimal(0)
        elif checkin.answer == CheckinAnswer.DOWNGRADED:
            kept = checkin.new_arr
        elif kept == 0:
            kept = None  # a customer again after a churn: no new ARR was given
    return kept
