"""One person's working calendar: when something may reach them, and how much of their
working time lies between two moments (docs/hours.md).

Pure functions over UTC-aware datetimes. Opening and closing times are built per local day
with `datetime.combine(day, start, tzinfo=tz)` and compared in UTC, so a DST change moves
the opening with the wall clock (09:00 stays 09:00) and never shifts it by an hour; a
wall-clock time skipped by DST counts an hour on (02:30 → 03:30), and a window DST skips
whole (02:45-03:00 on the night clocks go forward) is not open that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
ALL_DAYS = frozenset(range(7))
_SEARCH_DAYS = 15  # `days` is never empty: an opening comes within a week, or two when
# DST skips that day's whole window


@dataclass(frozen=True)
class WorkCalendar:
    """A working window in a time zone: `window` is (opens, closes) local times, None for
    "any time"; `days` the working weekdays (0 = Monday). Raises ValueError when built
    with no days or a window that does not open before it closes."""

    tz: ZoneInfo
    window: tuple[time, time] | None
    days: frozenset[int] = frozenset(range(5))

    def __post_init__(self) -> None:
        if self.window is not None:
            if not self.days:
                raise ValueError("a working calendar needs at least one working day")
            if self.window[0] >= self.window[1]:
                raise ValueError("a working window must open before it closes")

    @property
    def always(self) -> bool:
        return self.window is None

    def is_open(self, when: datetime) -> bool:
        """True when `when` falls inside the window on a working day (always, if no window)."""
        return self.next_open(when) == _utc(when)

    def next_open(self, when: datetime) -> datetime:
        """`when` itself if open then; else the next opening (UTC)."""
        when = _utc(when)
        if self.window is None:
            return when
        for opens, closes in self._spans(when):
            if when < opens:
                return opens
            if when < closes:
                return when
        raise AssertionError("unreachable: a working day comes within a week")

    def closing(self, when: datetime) -> datetime:
        """When the window open at `when` closes (UTC); ValueError if it is closed then."""
        when = _utc(when)
        if self.window is None:
            raise ValueError("an always-open calendar never closes")
        for opens, closes in self._spans(when):
            if opens <= when < closes:
                return closes
            if when < opens:
                break
        raise ValueError(f"closed at {when.isoformat()}")

    def closed_for(self, when: datetime) -> timedelta:
        """How long from `when` until the next opening (zero while open)."""
        return self.next_open(when) - _utc(when)

    def add_elapsed(self, start: datetime, delay: timedelta) -> datetime:
        """`delay` of elapsed time (nights and weekends count), landing at the next opening."""
        return self.next_open(_utc(start) + delay)

    def add_working(self, start: datetime, delay: timedelta) -> datetime:
        """When `delay` of this person's working time has passed since `start`.

        Hours count inside the window ("4h" from Friday 15:00 with a 09:00-17:00 window is
        Monday 11:00); a whole day counts as one working day, the window's length ("1d" from
        Friday 15:00 is Monday 15:00). The result is always open and never earlier for a
        longer delay. With no window this is plain elapsed time.
        """
        start = _utc(start)
        if self.window is None:
            return start + delay
        return self._add_hours(self.next_open(start), self.as_working(delay))

    def as_working(self, delay: timedelta) -> timedelta:
        """`delay` in working time: each whole day is one window's length."""
        if self.window is None:
            return delay
        days, rest = divmod(delay, DAY)
        opens, closes = self.window
        length = timedelta(hours=closes.hour - opens.hour, minutes=closes.minute - opens.minute)
        return int(days) * length + rest

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside the window between two moments (zero if `end` <= `start`)."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return timedelta(0)
        if self.window is None:
            return end - start
        total = timedelta(0)
        at = self.next_open(start)
        while at < end:
            closes = self.closing(at)
            total += min(closes, end) - at
            at = self.next_open(closes)
        return total

    def _spans(self, when: datetime) -> list[tuple[datetime, datetime]]:
        """Opening and closing (UTC) of each working day from the local day of `when` on."""
        assert self.window is not None
        start, end = self.window
        today = when.astimezone(self.tz).date()
        spans = []
        for offset in range(_SEARCH_DAYS):
            day = today + timedelta(days=offset)
            if day.weekday() in self.days:
                opens, closes = _at(day, start, self.tz), _at(day, end, self.tz)
                if opens < closes:  # else DST skipped the whole window: not open that day
                    spans.append((opens, closes))
        return spans

    def _add_hours(self, at: datetime, rest: timedelta) -> datetime:
        """`rest` of working time from `at` (moved to the next opening first)."""
        at = self.next_open(at)
        while rest > timedelta(0):
            closes = self.closing(at)
            if at + rest < closes:
                return at + rest
            rest -= closes - at
            at = self.next_open(closes)
        return at


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """A local wall-clock time as UTC."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("naive datetime: pass timezone-aware UTC times")
    return when.astimezone(UTC)
