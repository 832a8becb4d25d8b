"""The App Home forms for working hours and time off, read back and checked before anything
is stored (docs/hours.md): problems are keyed by the field they concern, so the form can
show each beside its input (Slack's `response_action: errors`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

from bot.hours.window import parse_window

Problems = dict[str, str]
"""Field name → the sentence to show beside it."""


@dataclass(frozen=True)
class HoursForm:
    """A window (opens before it closes, local to the person) on some weekdays (0 = Monday)."""

    window: tuple[time, time]
    days: frozenset[int]


@dataclass(frozen=True)
class AwayForm:
    """Time off from `first` to `last` (local days, both included), `cover` optional."""

    first: date
    last: date
    cover: str | None


def read_hours(start: str | None, end: str | None, days: Iterable[str]) -> HoursForm | Problems:
    """`start` and `end` as "HH:MM" (Slack's timepicker), `days` as weekday numbers in text;
    fields: "start", "end", "days"."""
    problems: Problems = {}
    if not start:
        problems["start"] = "Pick when your working day starts."
    if not end:
        problems["end"] = "Pick when your working day ends."
    chosen = frozenset(int(d) for d in days if d.isdigit() and 0 <= int(d) < 7)
    if not chosen:
        problems["days"] = "Pick at least one working day."
    if problems:
        return problems
    window = parse_window(f"{start}-{end}")
    if window is None:
        return {"end": "Your working day must end after it starts (on the same day)."}
    return HoursForm(window, chosen)


def read_away(first: str | None, last: str | None, cover: str | None) -> AwayForm | Problems:
    """`first` and `last` as YYYY-MM-DD (Slack's datepicker), `cover` a user ID or None;
    fields: "first", "last"."""
    problems: Problems = {}
    first_day, last_day = _date(first), _date(last)
    if first_day is None:
        problems["first"] = "Pick the first day you are away."
    if last_day is None:
        problems["last"] = "Pick the last day you are away."
    if first_day is None or last_day is None:
        return problems
    return AwayForm(first_day, last_day, cover or None)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None
