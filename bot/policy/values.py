"""Reading one TOML value at a key path, with the policy's one-line error messages.

`_Problem(where, message)` is raised by every reader; `bot.policy.parse.parse_policy` adds the
file name and turns it into `PolicyError`, because an operator reads it in a deploy log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from bot.common.durations import DURATION_HINT, parse_duration
from bot.common.policy_keys import at as _at
from bot.common.policy_keys import check_keys, number
from bot.common.policy_keys import show as _show
from bot.policy.models import RENEWAL_CHECKPOINT, is_channel, is_person

T = TypeVar("T")

_REASON_KEY = re.compile(r"[a-z][a-z0-9_]*")
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_TOML_AT_LINE = re.compile(r"(.*) \(at line (\d+), column \d+\)", re.DOTALL)
_BARE_VALUE = re.compile(
    r"\s*([A-Za-z0-9_.-]+)\s*=\s*(?!true\b|false\b|inf\b|nan\b)([A-Za-z@][^\s#,\]]*)"
)
"""`key = word`: a string value without its quotes (tomllib says only "Invalid value")."""
_TOML_AT_END = re.compile(r"(.*) \(at end of document\)", re.DOTALL)

_PERSON_HINT = "use a Slack user ID like U0123, an email, or @group"
_CHANNEL_HINT = "use a channel ID like C0123, shown in the channel's details"


class _Problem(Exception):
    """Raised while parsing; `parse_policy` adds the file name and turns it into PolicyError."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)


def _toml_error(message: str, text: str = "") -> str:
    """tomllib's message on one line, its line number first; for a bare word where a value
    goes (`cases = C0123ABCD`), the hint that strings need quotes (TOML spec, *String*)."""
    if match := _TOML_AT_LINE.fullmatch(message):
        said, number = _one_line(match.group(1)), int(match.group(2))
        lines = text.splitlines()
        line = lines[number - 1] if 0 < number <= len(lines) else ""
        if said == "Invalid value" and (bare := _BARE_VALUE.match(line)):
            key, word = bare.group(1), bare.group(2)
            said += f' (strings need quotes, e.g. {key} = "{word}")'
        return f"line {number}: {said}"
    if match := _TOML_AT_END.fullmatch(message):
        return f"at end of file: {_one_line(match.group(1))}"
    return _one_line(message)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- key paths, values and types ------------------------------------------------------------
# `_at` (a key path) and `_show` (a value on one line) are `bot.common.policy_keys`'s: the survey
# and turnover sections of the file speak of keys and values the same way.


def _check_keys(table: dict[str, Any], where: str, allowed: Iterable[str]) -> None:
    check_keys(table, where, allowed, _Problem)


def _table(value: Any, where: str, allowed: Iterable[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Problem(where, f"expected a table ([{where}])")
    _check_keys(value, where, allowed)
    return value


def _tables(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _Problem(where, f"expected a list of [[{where}]] tables")
    return value


def _string(value: Any, where: str, expected: str = "a string") -> str:
    if not isinstance(value, str):
        raise _Problem(where, f"expected {expected}")
    return value


def _strings(value: Any, where: str, expected: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Problem(where, f"expected a list of {expected}")
    return value


def _required(table: dict[str, Any], key: str, where: str, hint: str) -> Any:
    if key not in table:
        raise _Problem(_at(where, key), f"missing ({hint})")
    return table[key]


def _number(
    value: Any, where: str, *, maximum: Decimal | None = None, expected: str = "a number"
) -> Decimal:
    """A non-negative amount, at most `maximum` when given."""
    return number(value, where, _Problem, maximum=maximum, expected=expected)


def _duration(value: Any, where: str) -> timedelta:
    try:
        return parse_duration(_string(value, where, f"a duration ({DURATION_HINT})"))
    except ValueError:
        raise _Problem(where, f"{_show(value)} is not a duration ({DURATION_HINT})") from None


def _positive_duration(value: Any, where: str) -> timedelta:
    delta = _duration(value, where)
    if delta <= timedelta(0):
        raise _Problem(where, f"{_show(value)} must be longer than 0s")
    return delta


# Every duration in the file: (section, key, must be longer than 0s, "" turns it off).
_DURATIONS = (
    ("escalation", "acknowledge_within", False, False),
    ("escalation", "escalate_after", False, False),
    ("escalation", "repeat_every", True, False),
    ("escalation", "stale_after", True, False),
    ("dunning", "pre_renewal_check", True, True),
)


class Problems:
    """Each policy section's first problem, collected so that one line names them all
    (joined by "; "): an operator fixes them in one edit, not one `check` run each."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def read(self, section: Callable[[], T], fallback: T) -> T:
        """``section()``, or ``fallback`` once its problem is noted (a problem already said
        in the durations' line is not said again)."""
        try:
            return section()
        except _Problem as problem:
            said = str(problem)
            if not any(said in earlier for earlier in self.found):
                self.found.append(said)
            return fallback

    def stop_if_any(self) -> None:
        """Raises _Problem naming every problem found."""
        if self.found:
            raise _Problem("", "; ".join(self.found))


def check_durations(data: dict[str, Any]) -> None:
    """Name every malformed duration in one line, not only the first: an operator fixes
    them all in one edit instead of one run of `check` each. Raises _Problem naming each
    (its key path and why), joined by "; "."""
    found: list[str] = []
    for section, key, positive, may_be_off in _DURATIONS:
        table = data.get(section)
        if not isinstance(table, dict) or key not in table or (may_be_off and table[key] == ""):
            continue
        read = _positive_duration if positive else _duration
        try:
            read(table[key], _at(section, key))
        except _Problem as problem:
            found.append(str(problem))
    if found:
        raise _Problem("", "; ".join(found))


def _person(value: Any, where: str) -> str:
    if not isinstance(value, str) or not is_person(value):
        raise _Problem(where, f"{_show(value)} is not a person ({_PERSON_HINT})")
    return value


def _channel(value: Any, where: str) -> str:
    if not isinstance(value, str) or not is_channel(value):
        raise _Problem(where, f"{_show(value)} is not a channel ID ({_CHANNEL_HINT})")
    return value


def _one_of_or_person(value: Any, where: str, names: Iterable[str], what: str) -> str:
    names = tuple(names)
    if isinstance(value, str) and (value in names or is_person(value)):
        return value
    raise _Problem(where, f"{_show(value)} is not {what} (use {', '.join(names)}, or a person)")


def _clock(text: str) -> time | None:
    match = _CLOCK.fullmatch(text.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _checkpoints(value: Any) -> tuple[int | str, ...]:
    """`reports.save_checkpoints`: whole days from 1 to 3650, or "renewal"; each once."""
    where = "reports.save_checkpoints"
    hint = 'a list of days after a save and "renewal", like [90, 180, 365, "renewal"]'
    if not isinstance(value, list):
        raise _Problem(where, f"expected {hint}")
    found: list[int | str] = []
    for i, item in enumerate(value):
        day = isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 3650
        if not (day or item == RENEWAL_CHECKPOINT) or item in found:
            raise _Problem(
                f"{where}[{i}]", f"{_show(item)} is not a new checkpoint (days 1-3650 or renewal)"
            )
        found.append(item)
    return tuple(found)
