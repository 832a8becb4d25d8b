"""The policy's business calendar: when a step may reach someone whose own hours are not
known (docs/escalation.md, *Follow-ups*; docs/hours.md). Each person's own
calendar is `bot.hours.calendar.WorkCalendar`; this is the same calendar in the policy's
time zone with its business hours and days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.hours.calendar import ALL_DAYS, WorkCalendar
from bot.policy import Policy


def policy_calendar(policy: Policy) -> WorkCalendar:
    """The policy's business hours in its time zone (any time when `business_hours = ""`)."""
    days = policy.business_days if policy.business_hours is not None else ALL_DAYS
    return WorkCalendar(policy.timezone, policy.business_hours, frozenset(days))


def is_open(when: datetime, policy: Policy) -> bool:
    """True when `when` falls inside business hours on a business day (always, if off)."""
    return policy_calendar(policy).is_open(when)


def next_open(when: datetime, policy: Policy) -> datetime:
    """`when` itself if the calendar is off or it is open then; else the next opening."""
    return policy_calendar(policy).next_open(when)


def add_business_delay(start: datetime, delay: timedelta, policy: Policy) -> datetime:
    """When a step `delay` after `start` may fire.

    Durations are elapsed time (`1d` is 24 hours, nights, weekends and DST changes
    included); only the landing time moves, to the next opening, because steps "wait for
    the next business hour" rather than count business hours.
    """
    return policy_calendar(policy).add_elapsed(start, delay)
