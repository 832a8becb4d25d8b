"""`/churn hours` and `/churn away` as typed (docs/hours.md).
Never raises: bad input becomes `Usage`, like every other `/churn` command."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from bot.hours.days import DayWord, read_day
from bot.hours.window import parse_days, parse_window, read_clocks

MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})>|@?([UW][A-Z0-9]{2,})")
"""An @-mention as Slack escapes it (`<@U123>`), or a bare user ID."""
RESET = ("default", "reset", "policy")
CANCEL = ("off", "cancel", "back")


@dataclass(frozen=True)
class Hours:
    """Show (`show`), reset to the policy's (`window` None), or set a window and days
    (`days` None: the policy's business days)."""

    window: tuple[time, time] | None
    days: frozenset[int] | None = None
    show: bool = False


@dataclass(frozen=True)
class Away:
    """Show (`show`), cancel (`cancel`) or set time off from `first` to `last` (days, both
    included; a date or a word like `today`, bot/hours/days.py) for `person` (None:
    whoever typed it), with `cover` (None: the save desk, then a manager)."""

    first: DayWord | None = None
    last: DayWord | None = None
    cover: str | None = None
    person: str | None = None
    show: bool = False
    cancel: bool = False


def parse_hours(rest: str) -> Hours | str:
    """`/churn hours [HH:MM-HH:MM [days] | default]`; a problem sentence when malformed."""
    words = rest.split(maxsplit=1)
    if not words:
        return Hours(None, show=True)
    if words[0].lower() in RESET and len(words) == 1:
        return Hours(None)
    window = parse_window(words[0])
    if window is None and read_clocks(words[0]) is not None:
        return "your working day must end after it starts, on the same day (e.g. `08:00-16:00`)"
    if window is None:
        return "`/churn hours` takes a window like `08:00-16:00` and days like `mon-thu`"
    days = parse_days(words[1]) if len(words) > 1 else None
    if len(words) > 1 and days is None:
        return f"`{words[1][:40]}` are not days (use e.g. `mon-thu` or `mon,wed,fri`)"
    return Hours(window, days)


def parse_away(rest: str) -> Away | str:
    """`/churn away [@person] <from> <to> [cover @person]`, `/churn away off`, or
    `/churn away` (show); days as YYYY-MM-DD, `today`, `tomorrow` or a weekday name. A
    problem sentence when malformed."""
    words = rest.split()
    if not words:
        return Away(show=True)
    person = None
    head = MENTION.fullmatch(words[0])
    if head is not None:
        person, words = head.group(1) or head.group(2), words[1:]
    if len(words) == 1 and words[0].lower() in CANCEL:
        return Away(person=person, cancel=True)
    cover = None
    if len(words) == 4 and words[2].lower() == "cover":
        found = MENTION.fullmatch(words[3])
        if found is None:
            return "name the cover with an @-mention, e.g. `cover @jo`"
        cover, words = found.group(1) or found.group(2), words[:2]
    if len(words) != 2:
        return "`/churn away` takes two days (from, to) and optionally `cover @person`"
    first, last = read_day(words[0]), read_day(words[1])
    if first is None or last is None:
        return (
            "days are YYYY-MM-DD, `today`, `tomorrow` or a weekday, e.g. "
            "`/churn away 2026-12-21 2026-12-31` or `/churn away today fri`"
        )
    return Away(first, last, cover, person)
