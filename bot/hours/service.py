"""Working hours and time off: `/churn hours`, `/churn away`, a Slack status the policy
counts as away, and what happens when someone leaves and returns (docs/hours.md,
*Time off and cover*).

When time off starts, each open case of the person says in its thread "owner away until …,
covered by …"; while it lasts, new cases go to the cover and nudges reach the cover
(bot/cases/routing.py, bot/hours/reach.py). When it ends, the cases opened for them
meanwhile are handed back and they get one DM summing up what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import Refused
from bot.cases.timeline import Timeline
from bot.common.clock import Clock
from bot.common.formatting import time_token
from bot.common.text import who
from bot.common.vocab import CaseEventType, TimeOffSource, TimeOffState
from bot.followups import service as followups
from bot.hours.days import DayWord, resolve_day
from bot.hours.models import AwayEntry, HoursView, RefusedField
from bot.hours.presence import Presence
from bot.hours.reach import covering
from bot.hours.summary import welcome_back
from bot.hours.window import show_window
from bot.people.access import Access, Action
from bot.people.standing import PersonFacts
from bot.people.team import Team
from bot.policy import Policy
from bot.runtime.steps import StepHandler
from storage import cases as case_store
from storage import hours as store
from storage import steps as step_store
from storage.db import Database
from storage.models import OPEN_STATUSES, Account, Case, ScheduledStep
from storage.tables.hours import TimeOff

AWAY_START, AWAY_END = "away_start", "away_end"
MAX_AWAY = timedelta(days=366)


class HoursService:
    """Sets working hours and time off and runs the away steps; `team` is the copy resolved
    before a step run (no Slack call in a unit of work)."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        team: Callable[[], Team],
        timeline: Timeline,
        access: Access,
    ) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.team = team
        self.timeline = timeline
        self.access = access

    def handlers(self) -> Mapping[str, StepHandler]:
        return {AWAY_START: self.away_started, AWAY_END: self.away_ended}

    # -- working hours -------------------------------------------------------------------

    def view(self, user: str) -> HoursView:
        """The user's working window and time off as of now."""
        now = self.clock.now()
        with self.db.read() as session:
            calendar = Presence(session, self.policy, now).calendar(user)
            own = bool(store.hours_of(session, [user]))
            offs = store.upcoming(session, user, now)
            away = tuple(
                AwayEntry(o.id, o.starts_at, o.ends_at, o.cover, o.starts_at <= now) for o in offs
            )
        opens, closes = calendar.window or (None, None)
        text = show_window(calendar.window, calendar.days)
        today = now.astimezone(calendar.tz).date()
        return HoursView(text, calendar.tz.key, own, away, opens, closes, calendar.days, today)

    def form(self, user: str, action: Action) -> HoursView:
        """What a form on App Home starts from, after checking with the last known team
        (a modal must open within 3 s) that `user` may take `action` (HOURS or AWAY).
        Raises Refused (bot/people/access.py)."""
        self.access.require(user, action, fresh=False)
        return self.view(user)

    def set_hours(
        self, user: str, window: tuple[time, time] | None, days: frozenset[int] | None
    ) -> HoursView:
        """Set (or with `window` None, reset to the policy's) the user's working window;
        `days` None keeps the policy's business days. Raises Refused (bot/people/access.py)."""
        self.access.require(user, Action.HOURS)
        now = self.clock.now()
        text = f"{window[0]:%H:%M}-{window[1]:%H:%M}" if window else None
        chosen = sorted(days if days is not None else self.policy.business_days)
        with self.db.session() as session:
            store.set_hours(session, user, text, chosen, user, now)
        return self.view(user)

    # -- time off ------------------------------------------------------------------------

    def set_away(
        self,
        user: str,
        first: DayWord,
        last: DayWord,
        cover: str | None,
        *,
        set_by: str,
        source: str = TimeOffSource.COMMAND,
    ) -> AwayEntry:
        """`user` away from the start of `first` to the end of `last` (their local days; a
        word like `today` or `fri` is read in their time zone, bot/hours/days.py), set by
        `set_by` (someone else's time off: managers and admins, bot/people/access.py, for a
        real person of the workspace); raises Refused for those, and RefusedField for a
        cover who is not a real person or is `user`, and days in the wrong order, in the past
        or more than a year apart. Time off that overlaps or touches theirs (not a Slack
        status's) widens it: one absence."""
        self.authorize(set_by, user)
        if user != set_by and not self.access.directory.person(user).real:
            raise Refused(f"{who(user)} {self.access.directory.person(user).why}.")
        if cover is not None and not self.access.directory.person(cover).real:
            why = self.access.directory.person(cover).why
            raise RefusedField(f"{who(cover)} {why}; pick someone else.", "cover")
        if cover == user:
            raise RefusedField("Pick someone else to cover for you.", "cover")
        now = self.clock.now()
        with self.db.session() as session:
            tz = Presence(session, self.policy, now).calendar(user).tz
            first_day, last_day = _days(first, last, now.astimezone(tz).date())
            starts = datetime.combine(first_day, time(0), tzinfo=tz).astimezone(UTC)
            ends = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
            ends = ends.astimezone(UTC)
            if ends <= now:
                raise RefusedField("That time off is already over.", "last")
            if ends - starts > MAX_AWAY:
                raise RefusedField("Time off can last a year at most.", "last")
            starts = max(starts, now)
            off = store.overlapping(session, user, starts, ends)
            if off is not None:  # the same absence, longer: one stretch, one hand-back
                self._widen(session, off, starts, ends, cover, now)
            else:
                off = self._add(session, user, starts, ends, cover, set_by, source, now)
            also = store.away_between(session, off.cover, off.starts_at, off.ends_at)
            gone = (also.starts_at, also.ends_at) if also is not None else None
            started = off.starts_at <= now
            return AwayEntry(off.id, off.starts_at, off.ends_at, off.cover, started, gone)

    def authorize(self, actor: str, user: str) -> None:
        """Anyone sets their own time off; managers and admins anyone's. Raises Refused."""
        self.access.require(actor, Action.AWAY if actor == user else Action.AWAY_OTHERS)

    def cancel_away(self, user: str, actor: str) -> int:
        """End the user's current and upcoming time off now; returns how many."""
        self.authorize(actor, user)
        now = self.clock.now()
        with self.db.session() as session:
            offs = store.upcoming(session, user, now)
            for off in offs:
                self._end_now(session, off, now)
            return len(offs)

    def end_away(self, user: str, actor: str, time_off_id: int) -> bool:
        """End one time off of `user` now (cancel it if it has not started); False when it
        is not theirs or already over. Raises Refused as `cancel_away`."""
        self.authorize(actor, user)
        now = self.clock.now()
        with self.db.session() as session:
            off = store.time_off(session, time_off_id)
            if off is None or off.user_id != user:
                return False
            if off.state not in store.LIVE or off.ends_at <= now:
                return False
            self._end_now(session, off, now)
            return True

    def status_changed(self, facts: PersonFacts) -> None:
        """A Slack status the policy counts as away (`people.away_statuses`) with an
        expiration starts time off until then; clearing it ends it."""
        emoji = facts.status_emoji or ""
        now = self.clock.now()
        counts = emoji in self.policy.people_rules.away_statuses and facts.status_expiration > 0
        until = datetime.fromtimestamp(facts.status_expiration, UTC) if counts else None
        with self.db.session() as session:
            current = store.from_status(session, facts.user_id, now)
            if current is not None and (until is None or until <= now):
                self._end_now(session, current, now)
            elif current is not None and until is not None and until != current.ends_at:
                current.ends_at = until
                self._schedule_end(session, current, now)
            elif current is None and until is not None and until > now:
                uid = facts.user_id
                self._add(session, uid, now, until, None, uid, "status", now)

    def _add(
        self,
        session: Session,
        user: str,
        starts: datetime,
        ends: datetime,
        cover: str | None,
        set_by: str,
        source: str,
        now: datetime,
    ) -> TimeOff:
        off = store.add_time_off(
            session,
            user_id=user,
            starts_at=starts,
            ends_at=ends,
            cover=cover,
            source=source,
            state=TimeOffState.PLANNED,
            set_by=set_by,
            created_at=now,
        )
        step_store.schedule(
            session,
            key=f"away:{off.id}:start",
            kind=AWAY_START,
            due_at=starts,
            now=now,
            payload={"time_off": off.id},
        )
        self._schedule_end(session, off, now)
        return off

    def _widen(
        self,
        session: Session,
        off: TimeOff,
        starts: datetime,
        ends: datetime,
        cover: str | None,
        now: datetime,
    ) -> None:
        """Stretch `off` over [starts, ends) too; a cover named now replaces the earlier."""
        if starts < off.starts_at:
            off.starts_at = starts
            step_store.schedule(
                session,
                key=f"away:{off.id}:start:{int(starts.timestamp())}",
                kind=AWAY_START,
                due_at=starts,
                now=now,
                payload={"time_off": off.id},
            )
        if ends > off.ends_at:
            off.ends_at = ends
            self._schedule_end(session, off, now)
        off.cover = cover or off.cover

    def _schedule_end(self, session: Session, off: TimeOff, now: datetime) -> None:
        step_store.schedule(
            session,
            key=f"away:{off.id}:end:{int(off.ends_at.timestamp())}",
            kind=AWAY_END,
            due_at=off.ends_at,
            now=now,
            payload={"time_off": off.id},
        )

    def _end_now(self, session: Session, off: TimeOff, now: datetime) -> None:
        if off.starts_at > now:
            off.state = TimeOffState.CANCELLED
            return
        off.ends_at = now
        self._schedule_end(session, off, now)

    # -- steps ---------------------------------------------------------------------------

    def away_started(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        """Each open case of the person says who covers it, in its thread (unless a longer
        time off of theirs is going on: it said so)."""
        off = session.get(TimeOff, int(step.payload.get("time_off", 0)))
        if off is None or off.state != TimeOffState.PLANNED or off.ends_at <= now:
            return
        off.state = TimeOffState.AWAY
        going_on = store.other_time_off(session, off, now)
        if going_on is not None and going_on.ends_at >= off.ends_at:
            return  # inside a longer absence, whose threads said so already
        presence = Presence(session, self.policy, now)
        notes: list[str] = []
        cover = covering(session, presence, self.team(), off.user_id, notes)
        line = f":palm_tree: Owner {who(off.user_id)} away until {time_token(off.ends_at)}"
        line += f", covered by {who(cover)}." if cover != off.user_id else "; nobody can cover."
        for case in store.open_cases_owned(session, off.user_id):
            self.timeline.line(
                session, case, None, CaseEventType.OWNER_AWAY, line, {"cover": cover}
            )

    def away_ended(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        """Hand back the cases opened for them meanwhile and DM one summary; when another
        time off of theirs goes on (two that overlap), it takes over their covered cases
        and the hand-back waits for its end."""
        off = session.get(TimeOff, int(step.payload.get("time_off", 0)))
        if off is None or off.state not in store.LIVE or off.ends_at > now:
            return
        off.state, off.back_at = TimeOffState.BACK, now
        going_on = store.other_time_off(session, off, now)
        if going_on is not None:  # overlapping time off: still away, one absence
            store.move_covered(session, off.id, going_on.id)
            going_on.starts_at = min(going_on.starts_at, off.starts_at)
            return
        gone = self.access.directory.known(session, [off.user_id]).get(off.user_id)
        if gone is not None and not gone.real:  # deactivated while away: the cover keeps them
            self._keep_covered(session, off, gone.why, now)
            return
        handed = []
        for row in store.covered(session, off.id):
            row.handed_back_at = now
            case = case_store.get_locked(session, row.case_id)  # a ladder step may be at it
            if case is None or case.status not in OPEN_STATUSES:
                continue
            self._hand_back(session, case, off, row.cover, now)
            handed.append(case)
        self._summary(session, off, handed, now)

    def _keep_covered(self, session: Session, off: TimeOff, why: str, now: datetime) -> None:
        """Each covered open case stays with whoever holds it, the thread saying why, when the
        person coming back is no longer a real person (docs/hours.md, *Time off and cover*)."""
        text = f":warning: Not handed back: {who(off.user_id)} {why}; the case stays where it is."
        for row in store.covered(session, off.id):
            row.handed_back_at = now
            case = session.get(Case, row.case_id)
            if case is not None and case.status in OPEN_STATUSES:
                self.timeline.line(session, case, None, CaseEventType.HANDED_BACK, text, {})

    def _hand_back(
        self, session: Session, case: Case, off: TimeOff, cover: str, now: datetime
    ) -> None:
        account = session.get(Account, case.account_id)
        assert account is not None
        holder = case.owner
        case.owner, case.assigned_at = off.user_id, now
        text = (
            f":wave: {who(off.user_id)} is back: the case is handed back from "
            f"{who(holder or cover)}."
        )
        self.timeline.line(session, case, None, CaseEventType.HANDED_BACK, text, {"from": holder})
        self.timeline.refresh_root(session, case, account)
        managers = self.team().members("managers")
        followups.changed_hands(session, case, self.timeline.presenter, now, managers)

    def _summary(self, session: Session, off: TimeOff, handed: list[Case], now: datetime) -> None:
        """One DM: the cases handed back and what happened on their own cases meanwhile."""
        own = store.open_cases_owned(session, off.user_id)
        ids = {c.id for c in own} | {c.id for c in handed}
        events = store.events_between(session, ids, off.starts_at, now)
        own = (CaseEventType.OWNER_AWAY, CaseEventType.HANDED_BACK)  # time off's own lines
        events = [e for e in events if e.type not in own]
        text = welcome_back(off.starts_at, [c.id for c in handed], [e.case_id for e in events])
        outbox.notify(session, now, off.user_id, text)


def _days(first: DayWord, last: DayWord, today: date) -> tuple[date, date]:
    """Both days as dates, `last` read on or after `first`; RefusedField when `last` comes
    before `first`."""
    first_day = resolve_day(first, today)
    last_day = resolve_day(last, today, first_day)
    if last_day < first_day:
        raise RefusedField("The time off must end on or after the day it starts.", "last")
    return first_day, last_day
