"""The survey's part of the policy file: the root-cause taxonomy (`[[survey.reasons]]`) and
the monthly digest's schedule (`reports.reason_digest`). docs/survey.md.

`check_survey` collects *every* problem in the taxonomy (each by its key path), so an
operator fixes them all in one go instead of one per deploy. The policy parser turns the
problems into its one-line `PolicyError`. Nothing here imports the policy package, which
calls in here, so the people/channel patterns are the policy's own (docs/policy.md);
unknown keys and values are worded by the leaf `bot.common.policy_keys`, as in the rest of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from bot.common.policy_keys import show as _show
from bot.common.policy_keys import unknown_key

REASON_KEYS = ("key", "label", "owner", "hint")
SURVEY_KEYS = ("reasons",)
OPTION_TEXT_MAX = 75
"""Slack shows at most 75 characters of an option's text and of its description
(Block Kit reference, *Option object*)."""
MAX_REASONS = 100
"""A static select holds at most 100 options (Block Kit reference, *Static select*)."""
KEY_MAX = 64
"""The width of `survey_answers.root_cause`."""

_KEY = re.compile(r"[a-z][a-z0-9_]*")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_GROUP = re.compile(r"@[A-Za-z0-9][A-Za-z0-9._-]*")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
_COMPETITOR = re.compile(r"\bcompetit(?:or|ors|ion)\b", re.IGNORECASE)
_DIGEST = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+(\d{1,2}):(\d{2})", re.IGNORECASE)

_OWNER_HINT = (
    "use a channel ID like C0123, a Slack user ID like U0123, an email, or @group: "
    "the function that owns this root cause"
)
_NOT_A_REASON = (
    "is not a root cause: the survey asks for the competitor separately; "
    "record why they moved (e.g. missing_functionality, price_value)"
)


@dataclass(frozen=True)
class Problem:
    """One policy mistake: the key path (`survey.reasons[2].owner`) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class ReasonSpec:
    """A validated root cause: `owner` is a channel ID or a person/@group reference;
    `hint` is shown under the option in the survey's root-cause select."""

    key: str
    label: str
    owner: str
    hint: str | None = None


@dataclass(frozen=True)
class MonthlySchedule:
    """`reports.reason_digest`: a day of the month (1-28, so every month has it) and a
    wall-clock time in the policy's timezone."""

    day: int
    at: time

    def __str__(self) -> str:
        return f"{_ordinal(self.day)} {self.at:%H:%M}"


class SurveyPolicyError(ValueError):
    """A malformed survey setting; `problem` carries the key path."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def is_reason_owner(text: str) -> bool:
    """A channel ID (`C…`, `G…`), a Slack user ID, an email or an `@group`."""
    return any(p.fullmatch(text) for p in (_CHANNEL_ID, _USER_ID, _EMAIL, _GROUP))


def owner_is_channel(owner: str) -> bool:
    return bool(_CHANNEL_ID.fullmatch(owner))


def check_survey(value: Any) -> tuple[tuple[ReasonSpec, ...] | None, list[Problem]]:
    """Validate the `[survey]` table. Returns the reasons (None when the file sets none,
    so the built-in taxonomy applies) and every problem found; reasons are only
    meaningful when there are no problems."""
    if not isinstance(value, dict):
        return None, [Problem("survey", "expected a table ([survey])")]
    problems = _unknown_keys(value, "survey", SURVEY_KEYS)
    if "reasons" not in value:
        return None, problems
    entries = value["reasons"]
    where = "survey.reasons"
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return None, [*problems, Problem(where, "expected a list of [[survey.reasons]] tables")]
    if not entries:
        problems.append(Problem(where, "is empty (the survey needs at least one root cause)"))
    if len(entries) > MAX_REASONS:
        problems.append(Problem(where, f"has {len(entries)} entries (Slack lists at most 100)"))
    reasons: list[ReasonSpec] = []
    for i, entry in enumerate(entries):
        reason, found = _reason(entry, f"{where}[{i}]")
        problems += found
        if reason is not None:
            reasons.append(reason)
    problems += _duplicates(entries)
    return tuple(reasons), problems


def _reason(entry: dict[str, Any], where: str) -> tuple[ReasonSpec | None, list[Problem]]:
    problems = _unknown_keys(entry, where, REASON_KEYS)
    key = _text(entry, "key", where, problems, "a snake_case name like price_value")
    label = _text(entry, "label", where, problems, "the words people pick in the survey")
    owner = _text(entry, "owner", where, problems, _OWNER_HINT)
    hint = _text(entry, "hint", where, problems, None)
    if key is not None and not _KEY.fullmatch(key):
        problems.append(
            Problem(f"{where}.key", f"{_show(key)} is not snake_case (like price_value)")
        )
    elif key is not None and len(key) > KEY_MAX:
        problems.append(Problem(f"{where}.key", f"is longer than {KEY_MAX} characters"))
    for name, text in (("label", label), ("hint", hint)):
        if text is not None and len(text) > OPTION_TEXT_MAX:
            problems.append(
                Problem(
                    f"{where}.{name}",
                    f"is {len(text)} characters (Slack shows at most {OPTION_TEXT_MAX})",
                )
            )
    if owner is not None and not is_reason_owner(owner):
        problems.append(
            Problem(
                f"{where}.owner",
                f"{_show(owner)} is not a channel, a person or a group ({_OWNER_HINT})",
            )
        )
    for name, text in (("key", key), ("label", label)):
        if text is not None and _COMPETITOR.search(text.replace("_", " ")):
            problems.append(Problem(f"{where}.{name}", f"{_show(text)} {_NOT_A_REASON}"))
    if problems or key is None or label is None or owner is None:
        return None, problems
    return ReasonSpec(key=key, label=label, owner=owner, hint=hint), []


def _text(
    entry: dict[str, Any], name: str, where: str, problems: list[Problem], hint: str | None
) -> str | None:
    """A required (hint given) or optional string entry, stripped; None when unusable."""
    path = f"{where}.{name}"
    if name not in entry:
        if hint is not None:
            problems.append(Problem(path, f"missing ({hint})"))
        return None
    value = entry[name]
    if not isinstance(value, str):
        problems.append(Problem(path, "expected a string"))
        return None
    text = " ".join(value.split())
    if not text:
        if hint is not None:
            problems.append(Problem(path, f"is empty ({hint})"))
        return None
    return text


def _duplicates(entries: list[dict[str, Any]]) -> list[Problem]:
    """A key (or label, compared without case) used by an earlier entry."""
    problems: list[Problem] = []
    for name, fold in (("key", str), ("label", lambda s: " ".join(s.split()).casefold())):
        first: dict[str, int] = {}
        for i, entry in enumerate(entries):
            value = entry.get(name)
            if not isinstance(value, str) or not value.strip():
                continue
            norm = fold(value)
            if norm in first:
                problems.append(
                    Problem(
                        f"survey.reasons[{i}].{name}",
                        f"{_show(value)} is used twice (also survey.reasons[{first[norm]}])",
                    )
                )
            else:
                first[norm] = i
    return problems


def parse_reason_digest(value: Any, where: str = "reports.reason_digest") -> MonthlySchedule | None:
    """`"1st 09:00"` → day 1 at 09:00; `""` → off. Raises SurveyPolicyError naming `where`."""
    usage = 'use a day of the month and a time like "1st 09:00", or "" to turn it off'
    if not isinstance(value, str):
        raise SurveyPolicyError(Problem(where, f"expected a string ({usage})"))
    if not value.strip():
        return None
    match = _DIGEST.fullmatch(value.strip())
    if not match:
        raise SurveyPolicyError(Problem(where, f"{_show(value)} is not a monthly time ({usage})"))
    day, hour, minute = (int(g) for g in match.groups())
    if not 1 <= day <= 28:
        raise SurveyPolicyError(
            Problem(where, f"{_show(value)}: use a day from 1st to 28th, so every month has it")
        )
    if hour > 23 or minute > 59:
        raise SurveyPolicyError(Problem(where, f"{_show(value)} is not a time of day ({usage})"))
    return MonthlySchedule(day=day, at=time(hour, minute))


def _unknown_keys(table: dict[str, Any], where: str, allowed: tuple[str, ...]) -> list[Problem]:
    return [
        Problem(f"{where}.{key}", unknown_key(key, allowed)) for key in table if key not in allowed
    ]


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"
