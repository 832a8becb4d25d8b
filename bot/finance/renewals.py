"""The pre-renewal check (policy `dunning.pre_renewal_check`, docs/dunning.md, *Pre-renewal check*).

Once per account and renewal date, on the first run within `pre_renewal_check` of the
renewal, the CSM (a real person: else the account owner, else finance) is asked "OK to send
the renewal invoice?" with Yes and Hold (Hold needs
a reason). The unique (account, renewal date) row makes it once, whatever the number of
workers; an account with an open churn case gets the question with the case linked.
The answer, who gave it and when go to `channels.finance`. An unanswered question is
nudged like a case: after `escalation.acknowledge_within`, then every `repeat_every`
(at most `MAX_NUDGES` times), through scheduled steps in business hours.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import Refused
from bot.common.vocab import RenewalAnswer, StepKind, Track
from bot.finance import words
from bot.finance.dunning import today_in
from bot.hours.presence import Presence
from bot.hours.reach import in_hours
from bot.people.access import Access, Action, Actor, Involved
from bot.people.team import Team
from bot.policy import Policy
from bot.ports import Presenter
from bot.runtime.steps import StepHandler
from storage import cases as case_store
from storage import finance as store
from storage import steps as step_store
from storage.db import Database
from storage.models import Account, OutboxMessage, RenewalCheck, ScheduledStep

NUDGE = StepKind.RENEWAL_NUDGE
MAX_NUDGES = 3
ANSWERS = tuple(RenewalAnswer)
MAX_REASON = 2000


Answered = Callable[[Session, RenewalCheck, Account, datetime], None]
"""Told of each answer inside its unit of work (e.g. Stripe write-back queues its job)."""


class AnswerRefused(Refused):
    """The answer cannot be taken; the message says why (shown to the person only)."""


class RenewalChecks:
    """Asks, nudges and records answers."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        team: Callable[[], Team],
        access: Access,
        presenter: Presenter,
        answered: Sequence[Answered] = (),
    ) -> None:
        self.db = db
        self.presenter = presenter
        self.policy = policy
        self.team = team
        self.access = access
        self.answered: tuple[Answered, ...] = tuple(answered)

    def handlers(self) -> Mapping[str, StepHandler]:
        return {NUDGE: self.nudge}

    def run_due(self, now: datetime, limit: int = 500) -> int:
        """Ask about every renewal that entered the window, each CSM in their working
        hours (a CSM out of hours is asked on a later run); returns how many were asked."""
        window = self.policy.dunning.pre_renewal_check
        if window is None:
            return 0
        today = today_in(self.policy, now)
        horizon = today + timedelta(days=math.floor(window / timedelta(days=1)))
        with self.db.read() as session:
            due = store.renewals_to_ask(session, today, horizon, limit=limit)
            wanted = {user for a in due for user in (a.csm, a.account_owner) if user}
        if wanted:  # their standing, asked of Slack before the unit of work begins
            self.access.directory.people(sorted(wanted))
        asked = 0
        with self.db.session() as session:
            due = store.renewals_to_ask(session, today, horizon, limit=limit)
            presence = Presence(session, self.policy, now)
            chosen = [(account, *self._asked(session, account)) for account in due]
            presence.preload(person for _, person, _ in chosen)
            for account, person, passed in chosen:
                if person and not presence.calendar(person).is_open(now):
                    continue  # asked on a run inside their working window (docs/hours.md)
                asked += self._ask(session, account, person, passed, now)
        return asked

    def _asked(self, session: Session, account: Account) -> tuple[str | None, list[str]]:
        """Whom the question goes to: the CSM, else the account owner, if a real person
        (docs/dunning.md, *Pre-renewal check*); else nobody (finance answers). Also why each
        one passed over was (e.g. "<@U1> (the account's CSM) is deactivated in Slack")."""
        wanted = [(account.csm, "the account's CSM"), (account.account_owner, "the account owner")]
        known = self.access.directory.known(session, [u for u, _ in wanted if u])
        passed = []
        for user, what in wanted:
            person = known.get(user) if user else None
            if user and (person is None or person.real):
                return user, passed
            if person is not None:
                passed.append(f"<@{person.user_id}> ({what}) {person.why}")
        return None, passed

    def _ask(
        self,
        session: Session,
        account: Account,
        person: str | None,
        passed: list[str],
        now: datetime,
    ) -> bool:
        assert account.renewal_date is not None
        case = case_store.open_case(session, account.id, Track.CHURN)
        check = store.add_renewal_check(
            session,
            account_id=account.id,
            renewal_date=account.renewal_date,
            asked_at=now,
            asked_to=person,
            case_id=case.id if case else None,
        )
        if check is None:
            return False  # another worker asked first
        text = words.renewal_question(account, account.renewal_date, case, person, passed)
        channel = person or self.policy.channels.finance
        if channel is None:
            return True
        root = case_store.root_message(session, case) if case else None
        blocks = self.presenter.renewal(text, check.id, answered=False)
        message = self._send(session, now, channel, text, blocks, root)
        check.message_id = message.id
        if person:
            self._schedule_nudge(session, check, 1, now)
        return True

    @staticmethod
    def _send(
        session: Session,
        now: datetime,
        channel: str,
        text: str,
        blocks: list[dict] | None,
        root: OutboxMessage | None,
    ) -> OutboxMessage:
        if root is not None:
            return outbox.linked(session, now, channel, root, text, blocks)
        return outbox.post(session, now, channel, text, blocks)

    def _schedule_nudge(self, session: Session, check: RenewalCheck, n: int, now: datetime) -> None:
        esc = self.policy.escalation
        delay = esc.acknowledge_within if n == 1 else esc.repeat_every
        step_store.schedule(
            session,
            key=f"renewal:{check.id}:nudge:{n}",
            kind=NUDGE,
            due_at=in_hours(session, self.policy, check.asked_to, now + delay),
            now=now,
            payload={"check": check.id, "n": n},
        )

    def nudge(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        """Remind the CSM of an unanswered question (the follow-up machinery's way)."""
        check = store.renewal_check(session, int(step.payload.get("check", 0)))
        if check is None or check.answer is not None or not check.asked_to:
            return
        account = session.get(Account, check.account_id)
        assert account is not None
        outbox.notify(
            session, now, check.asked_to, words.renewal_nudge(account, check.renewal_date)
        )
        n = int(step.payload.get("n", 1))
        if n < MAX_NUDGES:
            self._schedule_nudge(session, check, n + 1, now)

    def may_answer(self, check_id: int, user: str) -> str:
        """The account's name if `user` may still answer this check; raises AnswerRefused
        (for the Hold button, before its modal opens)."""
        acting = self.access.actor(user, fresh=False)
        with self.db.read() as session:
            check = store.renewal_check(session, check_id)
            account = session.get(Account, check.account_id) if check else None
            if check is None or account is None:
                raise AnswerRefused("This renewal check no longer exists.")
            self._require(acting, account)
            if check.answer is not None:
                raise AnswerRefused(f"Already answered by <@{check.answered_by}>.")
            return account.name

    def answer(
        self, check_id: int, user: str, answer: str, reason: str | None, now: datetime
    ) -> None:
        """Record Yes or Hold (Hold needs a reason). The first answer stands; a later one
        is refused. Allowed: the person asked, the account's CSM or account owner, finance
        roles, managers and admins. Raises AnswerRefused."""
        reason = (reason or "").strip() or None
        if answer not in ANSWERS:
            raise AnswerRefused(f"answer must be one of {', '.join(ANSWERS)}")
        if answer == RenewalAnswer.HOLD and reason is None:
            raise AnswerRefused("Say why the invoice should be held.")
        if reason is not None and len(reason) > MAX_REASON:
            raise AnswerRefused(f"The reason is too long ({MAX_REASON} characters at most).")
        acting = self.access.actor(user)
        with self.db.session() as session:
            check = store.renewal_check(session, check_id, lock=True)
            if check is None:
                raise AnswerRefused("This renewal check no longer exists.")
            account = session.get(Account, check.account_id)
            assert account is not None
            self._require(acting, account)
            if check.answer is not None:
                raise AnswerRefused(f"Already answered by <@{check.answered_by}>.")
            check.answer, check.reason = answer, reason
            check.answered_by, check.answered_at = user, now
            self._announce(session, check, account, now)
            for listener in self.answered:
                listener(session, check, account, now)

    def release(self, check_id: int, user: str, now: datetime) -> None:
        """Let a held renewal invoice go after all (the same people who may answer); the
        release is posted like an answer. Raises AnswerRefused when there is no Hold to
        release (any more)."""
        acting = self.access.actor(user)
        with self.db.session() as session:
            check = store.renewal_check(session, check_id, lock=True)
            account = session.get(Account, check.account_id) if check else None
            if check is None or account is None:
                raise AnswerRefused("This renewal check no longer exists.")
            self._require(acting, account)
            if check.answer != RenewalAnswer.HOLD:
                raise AnswerRefused("This renewal invoice is not on hold.")
            if check.released_at is not None:
                raise AnswerRefused(f"Already released by <@{check.released_by}>.")
            check.released_by, check.released_at = user, now
            self._announce(session, check, account, now)
            for listener in self.answered:
                listener(session, check, account, now)

    @staticmethod
    def _require(acting: Actor, account: Account) -> None:
        """The account's CSM or account owner, finance roles, managers and admins
        (bot.people.access); raises Refused."""
        involved = Involved(csm=account.csm, account_owner=account.account_owner)
        acting.require(Action.RENEWAL, involved)

    def _announce(
        self, session: Session, check: RenewalCheck, account: Account, now: datetime
    ) -> None:
        """The answer in the finance channel; the question edited in place to show it."""
        channel = self.policy.channels.finance
        if channel:
            outbox.post(session, now, channel, words.renewal_answered(check, account))
        message = session.get(OutboxMessage, check.message_id) if check.message_id else None
        if message is not None:
            text = words.renewal_answered(check, account)
            held = check.answer == RenewalAnswer.HOLD and check.released_at is None
            blocks = self.presenter.renewal(text, check.id, answered=True, held=held)
            outbox.update(session, now, message, text, blocks)
