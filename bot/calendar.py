"""The business calendar: when a step may reach a person (CONTRACT §7, "Durations and calendar").

Pure functions over UTC-aware datetimes. Opening and closing times are built per local day
with `datetime.combine(day, start, tzinfo=tz)` and compared in UTC, so a DST change moves
the opening with the wall clock (09:00 stays 09:00) and never shifts it by an hour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.policy import Policy

_SEARCH_DAYS = 8  # business_days is never empty, so an opening comes within a week


def is_open(when: datetime, policy: Policy) -> bool:
    """True when `when` falls inside business hours on a business day (always, if off)."""
    return next_open(when, policy) == _utc(when)


def next_open(when: datetime, policy: Policy) -> datetime:
    """`when` itself if the calendar is off or it is open then; else the next opening."""
    when = _utc(when)
    if policy.business_hours is None:
        return when
    start, end = policy.business_hours
    tz = policy.timezone
    today = when.astimezone(tz).date()
    for offset in range(_SEARCH_DAYS):
        day = today + timedelta(days=offset)
        if day.weekday() not in policy.business_days:
            continue
        opens, closes = _at(day, start, tz), _at(day, end, tz)
        if when < opens:
            return opens
        if when < closes:
            return when
    raise ValueError("the policy has no business days")


def add_business_delay(start: datetime, delay: timedelta, policy: Policy) -> datetime:
    """When a step `delay` after `start` may fire.

    Durations are elapsed time (`1d` is 24 hours, nights, weekends and DST changes
    included); only the landing time moves, to the next opening, because steps "wait for
    the next business hour" rather than count business hours.
    """
    return next_open(_utc(start) + delay, policy)


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """A local wall-clock time as UTC; one skipped by DST counts an hour on (02:30 → 03:30)."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("naive datetime: pass timezone-aware UTC times")
    return when.astimezone(UTC)
