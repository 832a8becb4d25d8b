"""Working windows as people type them: "08:00-16:00" and "mon-thu" or "mon,wed,fri"
(docs/hours.md)."""

from __future__ import annotations

import re
from datetime import time

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names in `datetime.weekday()` order (0 = Monday)."""
FULL_NAMES: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_window(text: str) -> tuple[time, time] | None:
    """ "08:00-16:00" → (08:00, 16:00); None when malformed or not opening before closing."""
    clocks = read_clocks(text)
    if clocks is None or clocks[0] >= clocks[1]:
        return None
    return clocks


def read_clocks(text: str) -> tuple[time, time] | None:
    """ "22:00-06:00" → (22:00, 06:00), in any order; None unless two HH:MM times."""
    start_text, sep, end_text = text.strip().partition("-")
    start, end = _clock(start_text), _clock(end_text)
    if not sep or start is None or end is None:
        return None
    return start, end


def parse_days(text: str) -> frozenset[int] | None:
    """ "mon-thu", "mon,wed,fri", "sat-mon" (wraps) or "weekdays"/"every day" → weekday
    numbers; None when malformed or empty."""
    text = text.strip().lower()
    if text in ("weekdays", "workdays"):
        return frozenset(range(5))
    if text in ("everyday", "every day", "daily", "all"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in filter(None, (p.strip() for p in re.split(r"[,\s]+", text))):
        first, sep, last = part.partition("-")
        a, b = _day(first), _day(last) if sep else _day(first)
        if a is None or b is None:
            return None
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days) or None


def _day(word: str) -> int | None:
    """ "thu", "thurs", "thursday" → 3; None for anything else ("thunder", "sunshine")."""
    for number, full in enumerate(FULL_NAMES):
        if len(word) >= 3 and full.startswith(word):
            return number
    return None


def show_window(window: tuple[time, time] | None, days: frozenset[int]) -> str:
    """ "08:00-16:00 mon-thu" (runs of days shortened); "any time" for no window."""
    if window is None:
        return "any time"
    return f"{window[0]:%H:%M}-{window[1]:%H:%M} {show_days(days)}"


def show_days(days: frozenset[int]) -> str:
    """ "mon-fri", "mon, wed, fri", "every day"."""
    ordered = sorted(days)
    if len(ordered) == 7:
        return "every day"
    if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{DAY_NAMES[ordered[0]]}-{DAY_NAMES[ordered[-1]]}"
    return ", ".join(DAY_NAMES[d] for d in ordered)


def _clock(text: str) -> time | None:
    match = _CLOCK.fullmatch(text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None
