"""Who is at work right now: each person's calendar (their Slack time zone and their own
window, else the policy's business hours), who is away, and who covers for them
(docs/hours.md).

Read inside the caller's unit of work; nothing here calls Slack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bot.common.calendar import policy_calendar
from bot.hours.calendar import WorkCalendar
from bot.hours.window import parse_window
from bot.policy import Policy
from storage import hours as store
from storage.tables.hours import TimeOff

Load = Mapping[str, tuple[int, datetime | None]]
PickByLoad = Callable[[tuple[str, ...]], str | None]


def calendar_of(session: Session, policy: Policy, user: str | None) -> WorkCalendar:
    """One person's calendar: their own window (`/churn hours`) or the policy's business
    hours, in their Slack time zone (else the policy's); the policy's for nobody."""
    return Presence(session, policy, None).calendar(user)


class Presence:
    """Calendars and time off as of `now` (None: calendars only), read lazily and kept for
    this unit of work."""

    def __init__(self, session: Session, policy: Policy, now: datetime | None) -> None:
        self.session = session
        self.policy = policy
        self.now = now
        self._calendars: dict[str, WorkCalendar] = {}
        self._away: dict[str, TimeOff] | None = None

    def calendar(self, user: str | None) -> WorkCalendar:
        """The person's calendar (see `calendar_of`)."""
        if not user:
            return policy_calendar(self.policy)
        if user not in self._calendars:
            self._load([user])
        return self._calendars[user]

    def preload(self, users: Iterable[str | None]) -> None:
        """Read the calendars of several people in two queries."""
        self._load([u for u in users if u and u not in self._calendars])

    def away(self, user: str | None) -> TimeOff | None:
        """The time off `user` is on now, or None."""
        if not user or self.now is None:
            return None
        if self._away is None:
            self._away = store.everyone_away(self.session, self.now)
        return self._away.get(user)

    def available(self, user: str, within: timedelta) -> bool:
        """Not away, and at work now or within `within` (the save-desk pool's test)."""
        if self.away(user) is not None:
            return False
        return self.now is None or self.calendar(user).closed_for(self.now) <= within

    def cover(self, user: str, pools: Iterable[tuple[str, ...]], pick: PickByLoad) -> str | None:
        """Who covers for `user` while away: the cover they chose (unless away too), else
        the least-loaded member of the first pool (the save desk, then the managers) who is
        neither them nor away; None when nobody is left."""
        off = self.away(user)
        chosen = off.cover if off is not None else None
        if chosen and chosen != user and self.away(chosen) is None:
            return chosen
        for pool in pools:
            here = tuple(p for p in pool if p != user and self.away(p) is None)
            picked = pick(here) if here else None
            if picked is not None:
                return picked
        return None

    def _load(self, users: list[str]) -> None:
        if not users:
            return
        zones = store.zones(self.session, users)
        own = store.hours_of(self.session, users)
        default = policy_calendar(self.policy)
        for user in users:
            tz = _zone(zones.get(user)) or default.tz
            row = own.get(user)
            window = parse_window(row.window) if row is not None else None
            if row is not None and window is not None and row.days:
                self._calendars[user] = WorkCalendar(tz, window, frozenset(row.days))
            else:
                self._calendars[user] = WorkCalendar(tz, default.window, default.days)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
