"""The survey's scheduled steps, run by the step runner like every other follow-up: the
reminders of an unanswered survey and the monthly digest per reason owner."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.timeline import Timeline
from bot.common.formatting import money
from bot.common.text import esc
from bot.common.vocab import CaseEventType
from bot.hours.reach import is_copy, ladder_due, reach
from bot.people.team import Team
from bot.policy import Policy
from bot.runtime.steps import StepHandler
from bot.survey import schedule
from bot.survey.digest import DigestFacts, digest_sections, owners, previous_month
from bot.survey.notices import reminder_text
from bot.survey.routing import owner_target
from bot.survey.service import say_with_button
from storage import cases as case_store
from storage import survey as store
from storage.models import Account, Case, ScheduledStep, SurveyAnswer

log = logging.getLogger(__name__)


class SurveySteps:
    """Step handlers; `team` is the copy resolved before the run (no Slack call inside a
    step's transaction). The digest runs at `reports.reason_digest` (absent: off)."""

    def __init__(self, policy: Policy, team: Callable[[], Team], timeline: Timeline) -> None:
        self.policy = policy
        self.team = team
        self.timeline = timeline

    def handlers(self) -> Mapping[str, StepHandler]:
        return {
            schedule.NUDGE: self.nudge,
            schedule.ESCALATE: self.escalate,
            schedule.REPEAT: self.repeat,
            schedule.DIGEST: self.digest,
        }

    def ensure_digest(self, session: Session, now: datetime) -> None:
        """The next digest exists as a step (cheap: an insert that keeps the first)."""
        schedule.schedule_digest(session, self.policy.reports.reason_digest, self.policy, now)

    # -- reminders of an unanswered survey ------------------------------------------------------

    def _open(
        self, session: Session, step: ScheduledStep
    ) -> tuple[SurveyAnswer, Case, Account] | None:
        """The survey still asked, its case read afresh and locked (`say_with_button`
        rewrites its `details`), the case row first as every writer; the answer is read
        again once the case is held, as a submit may have answered it meanwhile."""
        answer = store.get(session, int(step.payload.get("answer_id", 0)))
        if answer is None or answer.status != store.ASKED:
            return None
        case = case_store.get_locked(session, answer.case_id)
        session.refresh(answer)
        if answer.status != store.ASKED:
            return None
        account = session.get(Account, case.account_id) if case else None
        return (answer, case, account) if case and account else None

    def nudge(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        """`acknowledge_within` after asking: remind the person asked."""
        found = self._open(session, step)
        if found is None:
            return
        answer, case, account = found
        escalate_at = ladder_due(
            session,
            self.policy,
            answer.asked_to,
            answer.asked_at,
            self.policy.escalation.escalate_after,
        )
        if now >= escalate_at:
            return  # late (downtime): the escalation says it all in one message
        headline = ":bell: The cancellation survey is still waiting"
        text = reminder_text(case, account, [answer.asked_to], headline)
        self._remind(session, step, case, now, text, [answer.asked_to], answer)

    def escalate(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        """`escalate_after` after asking: the managers are brought in."""
        headline = ":rotating_light: The cancellation survey is still not filled in"
        self._bring_in_managers(session, step, now, 2, headline)

    def repeat(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        """Every `repeat_every` after that, owner and managers again."""
        n = int(step.payload.get("n", 2))
        headline = ":alarm_clock: The cancellation survey is still missing"
        self._bring_in_managers(session, step, now, n + 1, headline)

    def _bring_in_managers(
        self, session: Session, step: ScheduledStep, now: datetime, next_n: int, headline: str
    ) -> None:
        found = self._open(session, step)
        if found is None:
            return
        answer, case, account = found
        people = [answer.asked_to, *self.team().members("managers")]
        text = reminder_text(case, account, people, headline)
        self._remind(session, step, case, now, text, people, answer)
        if not is_copy(step):
            schedule.schedule_repeat(session, self.policy, answer, next_n, now)

    def _remind(
        self,
        session: Session,
        step: ScheduledStep,
        case: Case,
        now: datetime,
        text: str,
        people: list[str | None],
        answer: SurveyAnswer,
    ) -> None:
        """The reminder in the thread and to each person in their working hours, or to
        their cover while they are away (bot/hours/reach.py)."""
        reached = reach(session, self.policy, self.team(), step, people, now)
        text = " ".join([text, *reached.notes])
        line = not is_copy(step)
        say_with_button(
            self.timeline,
            session,
            case,
            now,
            text,
            list(reached.now),
            answer,
            CaseEventType.SURVEY_REMINDER,
            line=line,
        )

    # -- the monthly digest ---------------------------------------------------------------------

    def digest(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        """Each reason owner gets last month's losses for the root causes they own."""
        month = previous_month(step.due_at, self.policy.timezone)
        team = self.team()
        for reasons in owners(self.policy.survey_reasons).values():
            target = owner_target(reasons[0], team.resolve, team.members("managers"))
            if target is None:
                continue
            keys = [r.key for r in reasons]
            facts = DigestFacts(
                month=month,
                reasons=reasons,
                totals=store.cause_totals(session, month.start, month.end, keys),
                losses=store.losses(session, month.start, month.end, keys),
                competitors=store.competitor_counts(session, month.start, month.end, keys),
            )
            sections = digest_sections(facts, money, esc)
            text = sections[0].splitlines()[0]
            blocks = self.timeline.presenter.survey_digest(sections)
            for channel in ([target.channel] if target.channel else []) + list(target.users):
                outbox.post(session, now, channel, text, blocks)
        self.ensure_digest(session, now)
