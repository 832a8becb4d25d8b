"""Durations as operators write them in the policy file: "30s", "15m", "4h", "2d", "1w".

One whole number and one unit keeps the file readable and unambiguous; `d` is always
24 hours and `w` 7 days (calendar days, not business days).
"""

from __future__ import annotations

import re
from datetime import timedelta

DURATION_HINT = "use 30s, 15m, 4h, 2d, 1w"

_UNITS: dict[str, int] = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PATTERN = re.compile(r"([0-9]+)([smhdw])")


def parse_duration(text: str) -> timedelta:
    """Parse "<whole number><s|m|h|d|w>"; anything else (floats, signs, spaces) is an error."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a duration ({DURATION_HINT})")
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration ({DURATION_HINT})")
    amount, unit = match.groups()
    return timedelta(seconds=int(amount) * _UNITS[unit])


def format_duration(delta: timedelta) -> str:
    """Inverse of parse_duration, in the largest unit that divides the duration exactly."""
    if delta < timedelta(0):
        raise ValueError(f"{delta} is negative")
    if delta.microseconds:
        raise ValueError(f"{delta} is not a whole number of seconds")
    seconds = delta.days * 86400 + delta.seconds
    if seconds == 0:
        return "0s"
    for unit, size in _UNITS.items():
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable: every whole number of seconds divides by 1")
