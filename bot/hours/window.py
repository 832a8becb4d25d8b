"""Working windows as people type them: "08:00-16:00" and "mon-thu" or "mon,wed,fri"
(docs/hours.md)."""

from __future__ import annotations

import re
from datetime import time

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names in `datetime.weekday()` order (0 = Monday)."""
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_window(text: str) -> tuple[time, time] | None:
    """ "08:00-16:00" → (08:00, 16:00); None when malformed or not opening before closing."""
    start_text, sep, end_text = text.strip().partition("-")
    start, end = _clock(start_text), _clock(end_text)
    if not sep or start is None or end is None or start >= end:
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
        if first[:3] not in DAY_NAMES or (sep and last[:3] not in DAY_NAMES):
            return None
        a = DAY_NAMES.index(first[:3])
        b = DAY_NAMES.index(last[:3]) if sep else a
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days) or None


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
