"""The survey's service: asked when a case churns, withdrawn when it is reopened, answered
and amended from the modal, and each answer told to the function that owns its root cause.

Every change and the messages it causes are written in one unit of work (the outbox). The
lifecycle hooks (`case_churned`, `case_reopened`) run inside the case transition's own
unit of work, so a churn and its survey commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import Refused
from bot.cases.timeline import Timeline
from bot.common.clock import Clock
from bot.common.formatting import money
from bot.common.text import esc, who
from bot.common.vocab import OFFER_TYPE_LABELS, CaseEventType, CaseStatus
from bot.people.access import Access, Action, Actor, Involved
from bot.people.team import Team
from bot.policy import Policy
from bot.ports import Presenter
from bot.survey import schedule
from bot.survey.answers import InvalidSurvey, SurveyForm, form_of, validate
from bot.survey.competitors import normalise, suggestions
from bot.survey.models import ReasonChoice, SurveyPrompt
from bot.survey.notices import answered_text, ask_text, change_line, loss_facts, summary_of
from bot.survey.routing import owner_notice, owner_target
from bot.survey.tried import tried_text
from storage import cases as case_store
from storage import offers as offers_store
from storage import survey as store
from storage.db import Database
from storage.models import Account, Case, OutboxMessage, SurveyAnswer

ASKED_DMS = "survey_asked_dms"
"""`cases.details` key: the outbox rows of the DMs and thread lines that asked for the
open survey ({"answer": survey id, "rows": [[row id, user ID or None for the thread], …]}),
edited once it is answered."""


class SurveyService:
    """`team` gives the roles, resolved outside any transaction (the case service's). A
    refusal raises the case domain's `Refused`, whose sentence the edge shows the person."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        team: Callable[..., Team],
        timeline: Timeline,
        access: Access,
    ) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.team = team
        self.timeline = timeline
        self.access = access

    # -- the case lifecycle --------------------------------------------------------------------

    def status_changed(
        self, session: Session, case: Case, account: Account, previous: str, details: dict[str, Any]
    ) -> None:
        """The case lifecycle's listener: a churn asks, a reopen withdraws."""
        if case.status == CaseStatus.CHURNED:
            self.case_churned(session, case, account, involuntary=bool(details.get("involuntary")))
        elif previous == CaseStatus.CHURNED:
            self.case_reopened(session, case)

    def case_churned(
        self, session: Session, case: Case, account: Account, *, involuntary: bool = False
    ) -> SurveyAnswer | None:
        """Ask the owner for the survey of this churn; None if one is already open."""
        now = self.clock.now()
        offers = offers_store.for_case(session, case.id)
        tried = tried_text(offers, account.currency, OFFER_TYPE_LABELS, money)
        person = case.owner or case.csm
        answer = store.ask(
            session,
            case.id,
            now=now,
            asked_to=person,
            involuntary=involuntary,
            arr_lost=case.arr_at_risk,
            stated_reason=None if involuntary else case.stated_reason,
            tried=tried or None,
        )
        if answer is None:
            return None
        text = ask_text(case, account, person, involuntary)
        say_with_button(
            self.timeline, session, case, now, text, [person], answer, CaseEventType.SURVEY_ASKED
        )
        schedule.survey_asked(session, self.policy, answer, now)
        return answer

    def case_reopened(self, session: Session, case: Case) -> None:
        """A reopened case did not churn after all: its unanswered survey is withdrawn."""
        answer = store.open_for_case(session, case.id)
        if answer is None:
            return
        now = self.clock.now()
        store.withdraw(session, answer.id, now=now)
        schedule.survey_closed(session, answer, now)
        text = ":leftwards_arrow_with_hook: The cancellation survey is withdrawn (case reopened)."
        self.timeline.line(session, case, None, CaseEventType.SURVEY_WITHDRAWN, text, at=now)

    # -- the modal ----------------------------------------------------------------------------

    def prompt(self, answer_id: int, actor: str) -> SurveyPrompt:
        """The modal for this survey: pre-filled when asked, the saved answers when answered.
        Raises the domain's refusal when `actor` may not fill or edit it."""
        acting = self.access.actor(actor, fresh=False)
        with self.db.read() as session:
            answer, case, account = self._load(session, answer_id)
            editing = answer.status == store.ANSWERED
            self._authorize(answer, case, acting, editing)
            values = {name: getattr(answer, name) for name in store.ANSWER_FIELDS}
            return SurveyPrompt(
                answer_id=answer.id,
                case_id=case.id,
                account_name=account.name,
                churn_number=answer.churn_number,
                involuntary=answer.involuntary,
                editing=editing,
                reasons=self._choices(),
                form=form_of(values),
            )

    def submit(self, answer_id: int, actor: str, form: SurveyForm) -> None:
        """Validate and save a submitted modal (first answer, or an edit of a saved one).

        Raises InvalidSurvey (field errors by block id; nothing saved) or the refusal.
        """
        acting = self.access.actor(actor)
        team = acting.team
        keys = [r.key for r in self.policy.survey_reasons]
        with self.db.session() as session:
            answer, case, account = self._load(session, answer_id, lock=True)
            editing = answer.status == store.ANSWERED
            self._authorize(answer, case, acting, editing)
            answers = validate(form, keys, involuntary=answer.involuntary)
            if editing:
                self._amend(session, answer, case, account, actor, answers.values())
            else:
                self._answer(session, answer, case, account, actor, answers.values(), team)

    def competitor_options(self, typed: str) -> list[str]:
        """Type-ahead for the competitor field: names given before, and what is typed."""
        with self.db.read() as session:
            known = store.competitor_names(session, normalise(typed) or "")
        return suggestions(typed, known)

    # -- what saving does ---------------------------------------------------------------------

    def _answer(
        self,
        session: Session,
        answer: SurveyAnswer,
        case: Case,
        account: Account,
        actor: str,
        values: dict[str, Any],
        team: Team,
    ) -> None:
        now = self.clock.now()
        if not store.answer(session, answer.id, values, actor=actor, now=now):
            raise Refused("This survey was just answered; use Edit survey to change it.")
        session.refresh(answer)
        schedule.survey_closed(session, answer, now)
        summary = summary_of(answer, self._label(answer.root_cause))
        header = f":clipboard: {who(actor)} filled in the cancellation survey."
        blocks = self.timeline.presenter.survey_answers(summary, header)
        details = {"survey_id": answer.id}
        self.timeline.line(
            session,
            case,
            actor,
            CaseEventType.SURVEY_ANSWERED,
            header,
            details,
            blocks=blocks,
            at=now,
        )
        self._show_on_root(session, case, account, summary.root_cause, answer.competitor)
        self._tell_owner(session, case, account, answer, team, now)
        retire_asks(session, case, answer, team, now, self.timeline.presenter)

    def _amend(
        self,
        session: Session,
        answer: SurveyAnswer,
        case: Case,
        account: Account,
        actor: str,
        values: dict[str, Any],
    ) -> None:
        now = self.clock.now()
        changes = store.amend(session, answer, values, actor=actor, now=now)
        if not changes:
            return
        line = change_line(actor, changes, self._label)
        self.timeline.line(
            session,
            case,
            actor,
            CaseEventType.SURVEY_EDITED,
            line,
            {"changes": list(changes)},
            at=now,
        )
        self._show_on_root(
            session, case, account, self._label(answer.root_cause), answer.competitor
        )
        if "root_cause" in changes:  # the new owning function hears about it
            self._tell_owner(session, case, account, answer, self.team(stale_ok=True), now)

    def _tell_owner(
        self,
        session: Session,
        case: Case,
        account: Account,
        answer: SurveyAnswer,
        team: Team,
        now: datetime,
    ) -> None:
        """Only the function owning the root cause is told (channel post or DMs)."""
        reason = self.policy.survey_reason(answer.root_cause or "")
        target = owner_target(reason, team.resolve, team.members("managers"))
        if target is None:
            return
        root = case_store.root_message(session, case)
        link = outbox.LINK_TOKEN if root is not None else None
        facts = loss_facts(case, account, answer, self._label(answer.root_cause), link)
        text = owner_notice(facts, target, money, esc)
        for channel in ([target.channel] if target.channel else []) + list(target.users):
            if root is not None:
                outbox.linked(session, now, channel, root, text)
            else:
                outbox.notify(session, now, channel, text)

    # -- shared steps -------------------------------------------------------------------------

    def _load(
        self, session: Session, answer_id: int, *, lock: bool = False
    ) -> tuple[SurveyAnswer, Case, Account]:
        """`lock`: for a change, the case row first (as every writer of a case: its `details`
        are rewritten here, e.g. by a reminder step), then the answer (two submits at once:
        the second sees the first), both read afresh."""
        answer = session.get(SurveyAnswer, answer_id)
        if answer is None:
            raise Refused("That survey does not exist.")
        if lock:
            case = case_store.get_locked(session, answer.case_id)
            answer = session.get(
                SurveyAnswer, answer_id, with_for_update=True, populate_existing=True
            )
            assert answer is not None  # never deleted
        else:
            case = session.get(Case, answer.case_id)
        assert case is not None
        account = session.get(Account, case.account_id)
        assert account is not None
        return answer, case, account

    @staticmethod
    def _authorize(answer: SurveyAnswer, case: Case, acting: Actor, editing: bool) -> None:
        """Fill in: the owner, whoever was asked, the CSM or a manager; edit: the owner,
        whoever answered or a manager (bot.people.access, docs/access.md, *Who may do what*)."""
        if answer.status == store.WITHDRAWN:
            raise Refused("This survey was withdrawn: the case was reopened.")
        answerers = {answer.asked_to} | ({answer.answered_by} if editing else set())
        involved = Involved(owner=case.owner, csm=case.csm, answerers=frozenset(answerers - {None}))
        acting.require(Action.EDIT_SURVEY if editing else Action.FILL_SURVEY, involved)

    def _choices(self) -> tuple[ReasonChoice, ...]:
        return tuple(
            ReasonChoice(r.key, r.label, getattr(r, "hint", None))
            for r in self.policy.survey_reasons
        )

    def _label(self, key: str | None) -> str:
        reason = self.policy.survey_reason(key or "")
        return reason.label if reason else (key or "unknown")

    def _show_on_root(
        self,
        session: Session,
        case: Case,
        account: Account,
        root_cause: str,
        competitor: str | None,
    ) -> None:
        """The case root shows the root cause and the competitor from now on."""
        case.details = {
            **(case.details or {}),
            "survey": {"root_cause": root_cause, "competitor": competitor},
        }
        self.timeline.refresh_root(session, case, account)


def say_with_button(
    timeline: Timeline,
    session: Session,
    case: Case,
    now: datetime,
    text: str,
    people: list[str | None],
    answer: SurveyAnswer,
    type: CaseEventType,
    *,
    line: bool = True,
) -> None:
    """A thread line with the survey button (unless `line` is False: a reminder's copy for
    one person, bot/hours/reach.py), and a DM with it to each person (linked to the thread
    when the case has one)."""
    blocks = timeline.presenter.survey_ask(text, answer.id)
    sent: list[list[Any]] = []  # [outbox row, person]; person None: the thread's line
    posted = timeline.line(session, case, None, type, text, blocks=blocks, at=now) if line else None
    if posted is not None:
        session.flush()  # the thread line's row id, to edit it once answered
        sent.append([posted.id, None])
    root = case_store.root_message(session, case)
    for person in dict.fromkeys(p for p in people if p):
        if root is not None:
            row = outbox.linked(session, now, person, root, text, blocks)
        else:
            row = outbox.notify(session, now, person, text, blocks)
        sent.append([row.id, person])
    asked = (case.details or {}).get(ASKED_DMS) or {}
    earlier = asked.get("rows", []) if asked.get("answer") == answer.id else []
    record = {"answer": answer.id, "rows": earlier + sent}
    case.details = {**(case.details or {}), ASKED_DMS: record}


def retire_asks(
    session: Session,
    case: Case,
    answer: SurveyAnswer,
    team: Team,
    now: datetime,
    presenter: Presenter,
) -> None:
    """Edit every message that asked for `answer` (chat.update, same `ts`) to say it was
    answered, so its button is not pressed again: the DMs, where the people who may edit
    the answers (the owner, whoever was asked or answered, a manager: docs/access.md) keep
    **Edit survey**, and the thread's asks and reminders, whose answers post below has it
    (docs/survey.md)."""
    asked = (case.details or {}).get(ASKED_DMS) or {}
    if asked.get("answer") != answer.id:
        return
    editors = {case.owner, answer.asked_to, answer.answered_by} - {None}
    for row_id, person in asked.get("rows", []):
        row = session.get(OutboxMessage, row_id)
        if row is None:
            continue
        text = answered_text(answer.answered_by, in_thread=person is None)
        may_edit = person is not None and (person in editors or team.is_manager(person))
        blocks = presenter.survey_answered(text, answer.id, may_edit)
        outbox.update(session, now, row, text, blocks)


__all__ = ["InvalidSurvey", "SurveyService", "say_with_button"]
