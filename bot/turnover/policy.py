"""`[[turnover.plans]]`: steps a team adds to the main-contact-turnover plan.

The built-in plan (bot/turnover/plan.py) follows the playbook; a team scales the effort to
the account's value by adding steps for a segment, an ARR band (the account's ARR, in its
currency), or particular answers. Every matching entry adds its steps, in file order:

    [[turnover.plans]]
    segment = ["enterprise"]          # optional: one name or a list (any case)
    min_arr = 100000                  # optional ARR band: min_arr <= ARR <= max_arr
    replacement = ["external_new", "external_competitor"]   # optional answer filters
    steps = [
      "Executive sponsor call with the new decision maker",
      { text = "Quarterly business review within 30 days", assignee = "account_owner" },
    ]

`parse_turnover_policy` validates the `[turnover]` table and raises `TurnoverPolicyError`
whose message is `<key path>: <what is wrong>`, the same style as the rest of the policy
file, so `check` and start-up print one line an operator can act on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.common.policy_keys import at as _at
from bot.common.policy_keys import check_keys, in_band, number
from bot.common.policy_keys import fmt_amount as _fmt
from bot.common.policy_keys import show as _show
from bot.turnover.answers import ANSWER_ENUMS, Answers

ASSIGNEE_ROLES: tuple[str, ...] = ("owner", "csm", "account_owner")
"""Assignees resolved per case: the case owner, the account's CSM or account owner."""

_PLAN_KEYS = ("segment", "min_arr", "max_arr", *ANSWER_ENUMS, "steps")
_STEP_KEYS = ("text", "key", "assignee")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_STEP_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_STEP_HINT = 'a string, or a table like { text = "…", assignee = "csm" }'
_ASSIGNEE_HINT = f"use {', '.join(ASSIGNEE_ROLES)}, or a Slack user ID like U0123"
POLICY_KEY_PREFIX = "policy_"
"""Keys of policy steps start with this, so they never collide with built-in step keys."""


class TurnoverPolicyError(ValueError):
    """A problem in `[turnover]`: `where` is the key path, `message` what is wrong."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass(frozen=True)
class ExtraStep:
    """A step a policy entry adds; `key` is stable while the text stays the same."""

    key: str
    """snake_case; keeps the step's ticks when the text is reworded (default: from the text)."""
    text: str
    """The step as the checklist shows it."""
    assignee: str | None = None
    """owner, csm, account_owner, or a Slack user ID; unset: nobody in particular."""


@dataclass(frozen=True)
class PlanRule:
    """One `[[turnover.plans]]` entry: when it applies, and the steps it adds."""

    steps: tuple[ExtraStep, ...]
    """The steps it adds after the built-in ones: strings, or tables
    `{ text = "…", key = "snake_case", assignee = "csm" }`."""
    segments: tuple[str, ...] = ()
    """One segment name or a list (any case); leave out for every segment."""
    min_arr: Decimal | None = None
    """The account's ARR at least this, in its currency; an account without ARR matches no
    band."""
    max_arr: Decimal | None = None
    """The account's ARR at most this, in its currency."""
    answers: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Filters on the turnover modal's answers: one value or a list per question."""

    def matches(self, answers: Answers, arr: Decimal | None, segment: str | None) -> bool:
        """True when the account (ARR in its currency, segment) and the answers fit."""
        if not in_band(arr, self.min_arr, self.max_arr, segment, self.segments):
            return False
        return all(str(getattr(answers, name)) in allowed for name, allowed in self.answers.items())

    def describe(self) -> str:
        """One line for `check`: the conditions, then how many steps it adds."""
        parts = []
        if self.segments:
            parts.append("segment " + " or ".join(self.segments))
        if self.min_arr is not None:
            parts.append(f"ARR >= {_fmt(self.min_arr)}")
        if self.max_arr is not None:
            parts.append(f"ARR <= {_fmt(self.max_arr)}")
        for name, allowed in self.answers.items():
            parts.append(f"{name} {' or '.join(sorted(allowed))}")
        when = ", ".join(parts) or "every turnover"
        count = len(self.steps)
        return f"{when}: +{count} step{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class TurnoverPolicy:
    """The validated `[turnover]` table; no entries means the built-in plan only."""

    plans: tuple[PlanRule, ...] = ()

    def extra_steps(
        self, answers: Answers, arr: Decimal | None, segment: str | None
    ) -> tuple[ExtraStep, ...]:
        """Steps of every matching entry in file order, each key once."""
        seen: set[str] = set()
        steps: list[ExtraStep] = []
        for rule in self.plans:
            if rule.matches(answers, arr, segment):
                for step in rule.steps:
                    if step.key not in seen:
                        seen.add(step.key)
                        steps.append(step)
        return tuple(steps)


def describe_turnover_policy(policy: TurnoverPolicy) -> list[str]:
    """Summary lines for `check`."""
    if not policy.plans:
        return ["Turnover plans: built-in steps only"]
    lines = ["Turnover plans (built-in steps, then every matching entry's):"]
    return lines + [f"  {i}. {rule.describe()}" for i, rule in enumerate(policy.plans, 1)]


def parse_turnover_policy(
    value: Any,
    where: str = "turnover",
    error: Callable[[str, str], Exception] = TurnoverPolicyError,
) -> TurnoverPolicy:
    """Validate the `[turnover]` table (the parsed TOML value).

    Raises `error(key path, message)`, by default TurnoverPolicyError, naming the key
    path, e.g. `turnover.plans[0].min_arr`; the policy file passes its own error type.
    """
    try:
        return _parse(value, where)
    except TurnoverPolicyError as problem:
        if error is TurnoverPolicyError:
            raise
        raise error(problem.where, problem.message) from None


def _parse(value: Any, where: str) -> TurnoverPolicy:
    table = _table(value, where, ("plans",))
    if "plans" not in table:
        return TurnoverPolicy()
    plans_at = _at(where, "plans")
    raw = table["plans"]
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        raise TurnoverPolicyError(plans_at, f"expected a list of [[{plans_at}]] tables")
    return TurnoverPolicy(
        plans=tuple(_plan(entry, f"{plans_at}[{i}]") for i, entry in enumerate(raw))
    )


def _plan(table: dict[str, Any], where: str) -> PlanRule:
    _check_keys(table, where, _PLAN_KEYS)
    if "steps" not in table:
        raise TurnoverPolicyError(
            _at(where, "steps"), 'missing (a list of steps, like ["Executive sponsor call"])'
        )
    rule = PlanRule(
        steps=_steps(table["steps"], _at(where, "steps")),
        segments=_segments(table["segment"], _at(where, "segment")) if "segment" in table else (),
        min_arr=_amount(table["min_arr"], _at(where, "min_arr")) if "min_arr" in table else None,
        max_arr=_amount(table["max_arr"], _at(where, "max_arr")) if "max_arr" in table else None,
        answers={
            name: _answer_values(table[name], _at(where, name), name)
            for name in ANSWER_ENUMS
            if name in table
        },
    )
    if rule.min_arr is not None and rule.max_arr is not None and rule.min_arr > rule.max_arr:
        raise TurnoverPolicyError(_at(where, "max_arr"), "must not be below min_arr")
    return rule


def _steps(value: Any, where: str) -> tuple[ExtraStep, ...]:
    if not isinstance(value, list):
        raise TurnoverPolicyError(where, f"expected a list of steps ({_STEP_HINT})")
    if not value:
        raise TurnoverPolicyError(where, "is empty (an entry needs at least one step)")
    steps: list[ExtraStep] = []
    keys: set[str] = set()
    for i, raw in enumerate(value):
        step = _step(raw, f"{where}[{i}]")
        if step.key in keys:
            raise TurnoverPolicyError(f"{where}[{i}]", "repeats an earlier step of this entry")
        keys.add(step.key)
        steps.append(step)
    return tuple(steps)


def _step(raw: Any, where: str) -> ExtraStep:
    if isinstance(raw, str):
        raw = {"text": raw}
    if not isinstance(raw, dict):
        raise TurnoverPolicyError(where, f"expected a step ({_STEP_HINT})")
    _check_keys(raw, where, _STEP_KEYS)
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        problem = (
            "missing (what to do, as text)" if "text" not in raw else "expected what to do, as text"
        )
        raise TurnoverPolicyError(_at(where, "text"), problem)
    text = " ".join(text.split())
    if len(text) > 300:
        raise TurnoverPolicyError(_at(where, "text"), "is longer than 300 characters")
    return ExtraStep(
        key=POLICY_KEY_PREFIX + _step_key(raw, text, where),
        text=text,
        assignee=_assignee(raw["assignee"], _at(where, "assignee")) if "assignee" in raw else None,
    )


def _step_key(raw: dict[str, Any], text: str, where: str) -> str:
    if "key" not in raw:
        slug = re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")[:32] or "step"
        return f"{slug}_{hashlib.sha1(text.encode()).hexdigest()[:8]}"
    key = raw["key"]
    if not isinstance(key, str) or not _STEP_KEY.fullmatch(key):
        raise TurnoverPolicyError(
            _at(where, "key"), f"{_show(key)} is not a step key (snake_case, up to 40 characters)"
        )
    return key


def _assignee(value: Any, where: str) -> str:
    if isinstance(value, str) and (value in ASSIGNEE_ROLES or _USER_ID.fullmatch(value)):
        return value
    raise TurnoverPolicyError(where, f"{_show(value)} is not an assignee ({_ASSIGNEE_HINT})")


def _answer_values(value: Any, where: str, name: str) -> frozenset[str]:
    enum = ANSWER_ENUMS[name]
    choices = ", ".join(member.value for member in enum)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise TurnoverPolicyError(where, f"expected one answer or a list of them (use {choices})")
    for i, item in enumerate(items):
        if item not in {member.value for member in enum}:
            at = where if isinstance(value, str) else f"{where}[{i}]"
            what = name.replace("_", " ")
            raise TurnoverPolicyError(at, f"{_show(item)} is not a {what} answer (use {choices})")
    return frozenset(items)


def _segments(value: Any, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
        raise TurnoverPolicyError(where, "expected a list of segment names (or one string)")
    if not items or not all(s.strip() for s in items):
        raise TurnoverPolicyError(where, "needs a segment name (leave it out to match every one)")
    return tuple(items)


def _amount(value: Any, where: str) -> Decimal:
    """A non-negative ARR in the account's currency; floats go through str()."""
    return number(value, where, TurnoverPolicyError)


def _table(value: Any, where: str, allowed: Iterable[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TurnoverPolicyError(where, f"expected a table ([{where}])")
    _check_keys(value, where, allowed)
    return value


def _check_keys(table: dict[str, Any], where: str, allowed: Iterable[str]) -> None:
    check_keys(table, where, allowed, TurnoverPolicyError)
