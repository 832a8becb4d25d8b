"""What the hours domain hands out: time off as shown, the hours view of `/churn hours` and
App Home, and a refusal naming the form field it is about (docs/hours.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from bot.cases.models import Refused


@dataclass(frozen=True)
class AwayEntry:
    """One stretch of time off as shown: its id (to end it), from and until (UTC), the
    cover chosen (None: the save desk, then a manager) and whether it has started."""

    id: int
    starts_at: datetime
    ends_at: datetime
    cover: str | None
    started: bool
    cover_away: tuple[datetime, datetime] | None = None
    """From and until (UTC) of the cover's own time off overlapping this one, if any: the
    save desk or a manager covers while both are away (bot/hours/presence.py)."""


@dataclass(frozen=True)
class HoursView:
    """What `/churn hours` and App Home show: the person's window ("08:00-16:00 mon-thu"),
    time zone (IANA name), whether the window is their own, their time off not yet over
    (soonest first), and the window's parts to fill a form with (`opens` None: any time)."""

    window: str
    tz: str
    own: bool
    away: tuple[AwayEntry, ...]
    opens: time | None = None
    closes: time | None = None
    days: frozenset[int] = frozenset(range(5))
    today: date | None = None
    """The person's local date now (where a time-off form starts)."""


class RefusedField(Refused):
    """A refusal about one input (`field`: "first", "last" or "cover"), so a form can show
    it beside that field."""

    def __init__(self, why: str, field: str) -> None:
        super().__init__(why)
        self.field = field
