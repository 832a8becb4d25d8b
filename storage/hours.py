"""Queries on working hours, time off and covered cases (docs/hours.md, *Time off
and cover*). Times are UTC."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import OPEN_STATUSES, Case, CaseEvent, SlackUser
from storage.tables.hours import CoveredCase, TimeOff, WorkingHours
from storage.vocab import TimeOffSource, TimeOffState

LIVE = (TimeOffState.PLANNED, TimeOffState.AWAY)
"""Time off that still counts (not cancelled, not over)."""


def _ids(users: Iterable[str | None]) -> list[str]:
    return sorted({u for u in users if u})


def zones(session: Session, users: Iterable[str | None]) -> dict[str, str]:
    """Each user's Slack time zone (`tz`), where Slack said one; by user ID."""
    wanted = _ids(users)
    if not wanted:
        return {}
    rows = session.execute(
        select(SlackUser.user_id, SlackUser.tz).where(SlackUser.user_id.in_(wanted))
    )
    return {user: tz for user, tz in rows if tz}


def hours_of(session: Session, users: Iterable[str | None]) -> dict[str, WorkingHours]:
    """Each user's own working window, where they set one; by user ID."""
    wanted = _ids(users)
    if not wanted:
        return {}
    rows = session.scalars(select(WorkingHours).where(WorkingHours.user_id.in_(wanted)))
    return {row.user_id: row for row in rows}


def set_hours(
    session: Session, user: str, window: str | None, days: list[int], set_by: str, now: datetime
) -> None:
    """Set a user's window ("HH:MM-HH:MM" and weekdays), or with `window` None go back to
    the policy's business hours."""
    row = session.get(WorkingHours, user)
    if window is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(
            WorkingHours(user_id=user, window=window, days=days, set_by=set_by, updated_at=now)
        )
        return
    row.window, row.days, row.set_by, row.updated_at = window, days, set_by, now


def add_time_off(session: Session, **values: object) -> TimeOff:
    """A new time-off row (TimeOff's columns as keywords), flushed so it has its id."""
    row = TimeOff(**values)
    session.add(row)
    session.flush()
    return row


def time_off(session: Session, time_off_id: int) -> TimeOff | None:
    """One time off by its id, or None."""
    return session.get(TimeOff, time_off_id)


def away_at(session: Session, users: Iterable[str | None], now: datetime) -> dict[str, TimeOff]:
    """The time off each user is on at `now` (the latest-ending one if several overlap)."""
    wanted = _ids(users)
    if not wanted:
        return {}
    rows = session.scalars(
        select(TimeOff)
        .where(
            TimeOff.user_id.in_(wanted),
            TimeOff.state.in_(LIVE),
            TimeOff.starts_at <= now,
            TimeOff.ends_at > now,
        )
        .order_by(TimeOff.ends_at)
    )
    return {row.user_id: row for row in rows}


def everyone_away(session: Session, now: datetime) -> dict[str, TimeOff]:
    """Everybody on time off at `now`, by user ID (for the save-desk pool and covers): the
    latest-ending one if several overlap, so "away until …" names the real return."""
    rows = session.scalars(
        select(TimeOff)
        .where(TimeOff.state.in_(LIVE), TimeOff.starts_at <= now, TimeOff.ends_at > now)
        .order_by(TimeOff.ends_at, TimeOff.id)
    )
    return {row.user_id: row for row in rows}


def other_time_off(session: Session, off: TimeOff, now: datetime) -> TimeOff | None:
    """Another live time off of the same person that spans `now` (the latest-ending), or
    None: while one exists, the person is still away when `off` ends."""
    return session.scalars(
        select(TimeOff)
        .where(
            TimeOff.user_id == off.user_id,
            TimeOff.id != off.id,
            TimeOff.state.in_(LIVE),
            TimeOff.starts_at <= now,
            TimeOff.ends_at > now,
        )
        .order_by(TimeOff.ends_at.desc(), TimeOff.id.desc())
    ).first()


def upcoming(session: Session, user: str, now: datetime) -> list[TimeOff]:
    """A user's time off that has not ended, soonest first."""
    return list(
        session.scalars(
            select(TimeOff)
            .where(TimeOff.user_id == user, TimeOff.state.in_(LIVE), TimeOff.ends_at > now)
            .order_by(TimeOff.starts_at)
        )
    )


def drop_cover(session: Session, cover: str, now: datetime) -> list[TimeOff]:
    """Time off not over at `now` (UTC) that `cover` was chosen to cover, with that choice
    cleared (they are no longer a real person: the save desk, then a manager, cover)."""
    rows = list(
        session.scalars(
            select(TimeOff).where(
                TimeOff.cover == cover, TimeOff.state.in_(LIVE), TimeOff.ends_at > now
            )
        )
    )
    for row in rows:
        row.cover = None
    return rows


def overlapping(session: Session, user: str, starts: datetime, ends: datetime) -> TimeOff | None:
    """The user's live time off, set by a command or App Home (not a Slack status), that
    overlaps or touches [starts, ends), earliest first; None if none does."""
    return session.scalars(
        select(TimeOff)
        .where(
            TimeOff.user_id == user,
            TimeOff.source != TimeOffSource.STATUS,
            TimeOff.state.in_(LIVE),
            TimeOff.starts_at <= ends,
            TimeOff.ends_at >= starts,
        )
        .order_by(TimeOff.starts_at, TimeOff.id)
    ).first()


def away_between(
    session: Session, user: str | None, starts: datetime, ends: datetime
) -> TimeOff | None:
    """The user's first live time off (of any source) overlapping [starts, ends), or None."""
    if not user:
        return None
    return session.scalars(
        select(TimeOff)
        .where(
            TimeOff.user_id == user,
            TimeOff.state.in_(LIVE),
            TimeOff.starts_at < ends,
            TimeOff.ends_at > starts,
        )
        .order_by(TimeOff.starts_at, TimeOff.id)
    ).first()


def from_status(session: Session, user: str, now: datetime) -> TimeOff | None:
    """The user's live time off that their Slack status set, if any."""
    return session.scalars(
        select(TimeOff).where(
            TimeOff.user_id == user,
            TimeOff.source == TimeOffSource.STATUS,
            TimeOff.state.in_(LIVE),
            TimeOff.ends_at > now,
        )
    ).first()


def cover_case(
    session: Session, time_off: TimeOff, case_id: int, cover: str, now: datetime
) -> None:
    """Record that `cover` holds this case while the time off lasts."""
    session.add(
        CoveredCase(
            time_off_id=time_off.id,
            case_id=case_id,
            user_id=time_off.user_id,
            cover=cover,
            created_at=now,
        )
    )


def covered(session: Session, time_off_id: int) -> list[CoveredCase]:
    """Cases held by a cover for this time off and not yet handed back."""
    return list(
        session.scalars(
            select(CoveredCase)
            .where(CoveredCase.time_off_id == time_off_id, CoveredCase.handed_back_at.is_(None))
            .order_by(CoveredCase.case_id)
        )
    )


def move_covered(session: Session, from_id: int, to_id: int) -> None:
    """Cases still covered under one time off are covered under another (that goes on)."""
    for row in covered(session, from_id):
        row.time_off_id = to_id


def open_cases_owned(session: Session, user: str) -> list[Case]:
    """Open cases `user` owns, oldest first."""
    return list(
        session.scalars(
            select(Case).where(Case.owner == user, Case.status.in_(OPEN_STATUSES)).order_by(Case.id)
        )
    )


def events_between(
    session: Session, case_ids: Iterable[int], start: datetime, end: datetime
) -> list[CaseEvent]:
    """Timeline events of these cases in [start, end), oldest first."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return []
    return list(
        session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id.in_(wanted), CaseEvent.at >= start, CaseEvent.at < end)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )
