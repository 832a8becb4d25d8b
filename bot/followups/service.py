"""Follow-ups: the escalation ladder as durable scheduled steps.

While nobody has acted on a new case: at `acknowledge_within` the owner is nudged; at
`escalate_after` the managers are brought into the thread; then every `repeat_every`
the owner and managers are reminded. Once someone acts, the only timer is `stale_after`
since the last action. Each step is a row with a unique key, created in the same unit of
work as the change that calls for it, so it happens at most once. After downtime each
case gets one catch-up message that says what was missed, not a storm. The rungs count the
owner's working time, and every DM reaches its person in their own working hours, or their
cover while they are away (docs/hours.md, bot/hours/reach.py).

The DMs with buttons (Acknowledge, Snooze) are remembered on the case (`NUDGE_DMS`), so that
when the case closes, or changes hands, each is edited in place to say so instead of
offering buttons that would only be refused (`retire_nudges`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import CaseView
from bot.cases.words import case_title
from bot.common.text import who
from bot.common.vocab import CaseEventType, CaseStatus, OutboxState, StepKind
from bot.followups import words
from bot.hours.reach import in_hours, is_copy, ladder_due, reach
from bot.people.team import Team
from bot.policy import Policy
from bot.ports import Presenter
from bot.runtime.steps import StepHandler
from storage import cases as case_store
from storage import steps as step_store
from storage.models import OPEN_STATUSES, Account, Case, OutboxMessage, ScheduledStep

LADDER_KINDS = (StepKind.ACK_NUDGE, StepKind.ESCALATE, StepKind.REPEAT)
STALE = StepKind.STALE
SNOOZE_END = StepKind.SNOOZE_END
REMINDER = StepKind.REMINDER
NUDGE_DMS = "nudge_dms"
"""The key in `cases.details` of the nudge DMs still showing their buttons: [[outbox row id,
person], ...]."""
EDITABLE = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.SENT)


def case_opened(session: Session, policy: Policy, case: Case, now: datetime) -> None:
    """Schedule the first rungs of the ladder for a new case."""
    first_rungs(
        session,
        policy,
        (StepKind.ACK_NUDGE, StepKind.ESCALATE),
        key_prefix=f"case:{case.id}:",
        start=case.created_at,
        now=now,
        case_id=case.id,
        owner=case.owner,
    )


def first_rungs(
    session: Session,
    policy: Policy,
    kinds: tuple[StepKind, StepKind],
    *,
    key_prefix: str,
    start: datetime,
    now: datetime,
    case_id: int,
    payload: dict[str, Any] | None = None,
    owner: str | None = None,
) -> None:
    """Schedule the ladder's first two rungs from `start`: `kinds[0]` at `acknowledge_within`,
    `kinds[1]` (managers brought in) at `escalate_after`, each keyed `key_prefix` + kind.
    A new case and an unanswered cancellation survey climb the same ladder, on the clock
    of `owner`'s working time (bot/hours/reach.py `ladder_due`)."""
    esc = policy.escalation
    delays = (esc.acknowledge_within, esc.escalate_after)
    steps = [
        {
            "key": f"{key_prefix}{kind}",
            "kind": kind,
            "due_at": ladder_due(session, policy, owner, start, delay),
            "case_id": case_id,
            "payload": payload,
        }
        for kind, delay in zip(kinds, delays, strict=True)
    ]
    step_store.schedule_many(session, steps, now)  # one statement for both rungs


def case_acted(session: Session, policy: Policy, case: Case, now: datetime) -> None:
    """Someone acted: the ladder stops; a closed case needs nothing; an open one gets a
    stale-case check `stale_after` from now."""
    step_store.cancel(session, case_id=case.id, kinds=(*LADDER_KINDS, STALE), now=now)
    if case.status not in OPEN_STATUSES:
        step_store.cancel(session, case_id=case.id, kinds=(SNOOZE_END, REMINDER), now=now)
        return
    stamp = int(now.timestamp())
    step_store.schedule(
        session,
        key=f"case:{case.id}:stale:{stamp}",
        kind=STALE,
        due_at=in_hours(session, policy, case.owner, now + policy.escalation.stale_after),
        now=now,
        case_id=case.id,
        payload={"quiet_since": stamp},
    )


def snoozed(session: Session, policy: Policy, case: Case, until: datetime, now: datetime) -> None:
    """While snoozed nothing nudges; when it ends the owner hears about it (in hours)."""
    step_store.cancel(session, case_id=case.id, kinds=(*LADDER_KINDS, STALE, SNOOZE_END), now=now)
    step_store.schedule(
        session,
        key=f"case:{case.id}:snooze_end:{int(until.timestamp())}",
        kind=SNOOZE_END,
        due_at=in_hours(session, policy, case.owner, until),
        now=now,
        case_id=case.id,
    )


def reminder_set(session: Session, case: Case, person: str, at: datetime, now: datetime) -> None:
    """A reminder the person chose: it goes out at that time, business hours or not."""
    step_store.schedule(
        session,
        key=f"case:{case.id}:reminder:{person}:{int(at.timestamp())}",
        kind=REMINDER,
        due_at=at,
        now=now,
        case_id=case.id,
        payload={"person": person},
    )


def closed(
    session: Session,
    case: Case,
    presenter: Presenter,
    now: datetime,
    actor: str | None,
    by: str | None = None,
) -> None:
    """The case closed: every nudge DM says so where its buttons were."""
    note = words.closed(case.status, actor, by)
    retire_nudges(session, case, presenter, now, note)


def changed_hands(
    session: Session,
    case: Case,
    presenter: Presenter,
    now: datetime,
    managers: Collection[str],
    *,
    gone: str | None = None,
) -> None:
    """The case has a new owner (`case.owner`): the nudge DMs of everyone who may no longer
    acknowledge or snooze it (neither the new owner nor a manager: docs/access.md) say who
    owns it now. `gone`: someone no longer in Slack, whose DMs are forgotten, not edited."""
    keep = {case.owner, *managers} - {None}
    note = words.now_owned(case.owner)
    retire_nudges(session, case, presenter, now, note, keep=keep, forget={gone} - {None})


def retire_nudges(
    session: Session,
    case: Case,
    presenter: Presenter,
    now: datetime,
    note: str,
    *,
    keep: Collection[str] = (),
    forget: Collection[str] = (),
) -> None:
    """Edit each nudge DM of `case` (chat.update, same `ts`, once it is sent) to show `note`
    and a link to the thread instead of its buttons, except those to people in `keep`; those
    to people in `forget` are dropped from the record unedited, as are DMs that failed."""
    sent = (case.details or {}).get(NUDGE_DMS) or []
    if not sent:
        return
    root = case_store.root_message(session, case)
    line = words.retired_line(note, root.permalink if root is not None else None)
    kept = []
    for row_id, person in sent:
        if person in keep:
            kept.append([row_id, person])
            continue
        row = session.get(OutboxMessage, row_id)
        if row is None or row.state not in EDITABLE or person in forget:
            continue
        text, blocks = presenter.nudge_retired(str(row.payload.get("text") or ""), line)
        outbox.update(session, now, row, text, blocks)
    details = {k: v for k, v in (case.details or {}).items() if k != NUDGE_DMS}
    case.details = {**details, NUDGE_DMS: kept} if kept else details


def _unacted(case: Case | None) -> bool:
    return case is not None and case.status == CaseStatus.NEW and case.last_action_at is None


def _snoozed(case: Case, now: datetime) -> bool:
    return case.snoozed_until is not None and case.snoozed_until > now


class Ladder:
    """Step handlers for the escalation ladder; `team` supplies the managers."""

    def __init__(self, policy: Policy, team: Callable[[], Team], presenter: Presenter) -> None:
        self.policy = policy
        self.team = team
        self.presenter = presenter

    def handlers(self) -> Mapping[str, StepHandler]:
        return {
            StepKind.ACK_NUDGE: self.ack_nudge,
            StepKind.ESCALATE: self.escalate,
            StepKind.REPEAT: self.repeat,
            STALE: self.stale,
            SNOOZE_END: self.snooze_end,
            REMINDER: self.reminder,
        }

    def _case(self, session: Session, step: ScheduledStep) -> tuple[Case, Account] | None:
        """The step's case, locked: a nudge remembers its DMs in `details` (`NUDGE_DMS`)."""
        case = case_store.get_locked(session, step.case_id) if step.case_id else None
        if case is None:
            return None
        account = session.get(Account, case.account_id)
        assert account is not None
        return case, account

    def ack_nudge(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        found = self._case(session, step)
        if found is None or not _unacted(found[0]) or _snoozed(found[0], now):
            return
        case, account = found
        escalate_at = ladder_due(
            session, self.policy, case.owner, case.created_at, self.policy.escalation.escalate_after
        )
        if now >= escalate_at:
            return  # late (downtime): the escalation step says it all in one message
        self._say(
            session,
            step,
            case,
            account,
            now,
            f":bell: Nobody has acted on this case yet; {who(case.owner)}, please take a look.",
            [case.owner],
        )

    def escalate(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        self._bring_in_managers(
            session,
            step,
            now,
            1,
            ":rotating_light: Escalating: nobody has acted on this case since it opened.",
        )

    def repeat(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        n = int(step.payload.get("n", 1)) + 1
        self._bring_in_managers(
            session, step, now, n, ":alarm_clock: Still nobody has acted on this case."
        )

    def _bring_in_managers(
        self, session: Session, step: ScheduledStep, now: datetime, n: int, headline: str
    ) -> None:
        """Mention owner and managers in the thread, DM them, and schedule repeat `n`."""
        found = self._case(session, step)
        if found is None or not _unacted(found[0]) or _snoozed(found[0], now):
            return
        case, account = found
        managers = list(self.team().members("managers"))
        people = [case.owner, *managers]
        text = f"{headline} {' '.join(who(p) for p in people if p)}"
        if not managers:
            text += " (No managers are set in the policy.)"
        missed = self._missed_repeats(step, now)
        if missed:
            text += (
                f" _(Catching up: {missed} reminder(s) were missed while Savedesk was offline.)_"
            )
        self._say(session, step, case, account, now, text, people)
        if not is_copy(step):
            self._next_repeat(session, case, now, n)

    def stale(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        found = self._case(session, step)
        if found is None:
            return
        case, account = found
        if case.status not in OPEN_STATUSES or _snoozed(case, now):
            return
        self._say(
            session,
            step,
            case,
            account,
            now,
            f":hourglass: No update on this case for a while; {who(case.owner)}, "
            "what is the next step?",
            [case.owner],
        )

    def snooze_end(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        found = self._case(session, step)
        if found is None or found[0].status not in OPEN_STATUSES:
            return
        case, account = found
        copy = is_copy(step)  # a copy: the snooze ended already, only its DM is left
        if not copy:
            case.snoozed_until = None
        self._say(
            session,
            step,
            case,
            account,
            now,
            f":alarm_clock: The snooze is over; {who(case.owner)}, back to this case.",
            [case.owner],
        )
        if not copy:
            case_acted(session, self.policy, case, now)  # the quiet-period timer starts again

    def reminder(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        found = self._case(session, step)
        if found is None or found[0].status not in OPEN_STATUSES:
            return
        case, account = found
        person = str(step.payload.get("person") or case.owner or "")
        self._say(
            session,
            step,
            case,
            account,
            now,
            f":spiral_calendar_pad: Reminder for {who(person)}: follow up on this case.",
            [person],
        )

    def _missed_repeats(self, step: ScheduledStep, now: datetime) -> int:
        every = self.policy.escalation.repeat_every
        late = now - step.due_at
        return int(late / every) if every.total_seconds() > 0 and late >= every else 0

    def _next_repeat(self, session: Session, case: Case, now: datetime, n: int) -> None:
        step_store.schedule(
            session,
            key=f"case:{case.id}:repeat:{n}",
            kind=StepKind.REPEAT,
            due_at=ladder_due(
                session, self.policy, case.owner, now, self.policy.escalation.repeat_every
            ),
            now=now,
            case_id=case.id,
            payload={"n": n},
        )

    def _say(
        self,
        session: Session,
        step: ScheduledStep,
        case: Case,
        account: Account,
        now: datetime,
        text: str,
        notify: list[str | None],
    ) -> None:
        """A line in the thread and a DM (with buttons) to each person to notify, in their
        working hours (a copy of the step waits for those out of hours), or to their cover
        while they are away (the thread says so). A step's copy only DMs its one person."""
        reached = reach(session, self.policy, self.team(), step, notify, now)
        text = " ".join([text, *reached.notes])
        root = case_store.root_message(session, case)
        if not is_copy(step):
            case_store.add_event(
                session, case, at=now, actor=None, type=CaseEventType.FOLLOWUP, text=text
            )
            if root is not None:
                outbox.reply(session, now, root, text)
        title, card = case_title(case, account), CaseView.of(case)
        sent = []
        for person in reached.now:
            dm_text, blocks = self.presenter.nudge(card, f"{text}\n*{title}*", root is not None)
            if root is not None:
                row = outbox.linked(session, now, person, root, dm_text, blocks)
            else:
                row = outbox.notify(session, now, person, dm_text, blocks)
            sent.append([row.id, person])
        if sent:  # their buttons are retired when the case closes or changes hands
            earlier = (case.details or {}).get(NUDGE_DMS) or []
            case.details = {**(case.details or {}), NUDGE_DMS: earlier + sent}
