"""The policy file: who owns which case, when to escalate, who approves offers, who chases invoices.

The file is TOML (see `policy.example.toml`). Every key is optional and a missing key takes
the built-in default, so a team can start with an empty file. Any mistake stops start-up with
`PolicyError`, whose message is one line naming the file and the key path, because an operator
reads it in a deploy log, not a debugger. Nothing here talks to Slack: people stay as written
(user IDs, emails, @groups) and another component resolves them.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.durations import DURATION_HINT, format_duration, parse_duration
from bot.survey.policy import MonthlySchedule, SurveyPolicyError, check_survey, parse_reason_digest

KINDS: tuple[str, ...] = (
    "cancellation",
    "non_renewal",
    "downgrade",
    "contact_left",
    "usage_drop",
    "payment_failed",
    "budget_cut",
    "competitor",
    "negative_feedback",
    "other",
)
"""Every kind of churn signal; `payment_failed` is the payment track, the rest are churn."""

OWNER_ROLES: tuple[str, ...] = ("csm", "account_owner", "save_desk", "manager", "finance")
"""Routing owners that are roles rather than people; csm/account_owner come from the account."""

ROLE_NAMES: tuple[str, ...] = ("managers", "save_desk", "finance", "controller", "cfo", "admins")
"""The keys of `[roles]`; each holds a list of people."""

OWNER_ROLE_PEOPLE: Mapping[str, str] = MappingProxyType(
    {"save_desk": "save_desk", "manager": "managers", "finance": "finance"}
)
"""Which `[roles]` entry supplies the people for a routing owner role."""

ACCOUNT_ROLES: tuple[str, ...] = ("csm", "account_owner")
"""Roles filled per account (from the accounts import), not by the policy file."""

NO_APPROVAL = "none"
"""The approver value meaning the offer's owner may apply it directly."""

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names in `datetime.weekday()` order (0 = Monday)."""

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_GROUP = re.compile(r"@[A-Za-z0-9][A-Za-z0-9._-]*")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
_BOT_ID = re.compile(r"B[A-Z0-9]{2,}")
_REASON_KEY = re.compile(r"[a-z][a-z0-9_]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_TOML_AT_LINE = re.compile(r"(.*) \(at line (\d+), column \d+\)", re.DOTALL)
_TOML_AT_END = re.compile(r"(.*) \(at end of document\)", re.DOTALL)

_PERSON_HINT = "use a Slack user ID like U0123, an email, or @group"
_CHANNEL_HINT = "use a channel ID like C0123, shown in the channel's details"


class PolicyError(ValueError):
    """A policy file problem, as one line: `<file>: <key path>: <what is wrong>`."""


class _Problem(Exception):
    """Raised while parsing; `parse_policy` adds the file name and turns it into PolicyError."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)


# --- small predicates other components use too ---------------------------------------------


def is_person(text: str) -> bool:
    """True for a Slack user ID (`U…`/`W…`), an email, or a user group handle (`@…`)."""
    return bool(_USER_ID.fullmatch(text) or _EMAIL.fullmatch(text) or _GROUP.fullmatch(text))


def is_channel(text: str) -> bool:
    """True for a Slack channel ID: public `C…`, private `G…`, or a DM `D…`."""
    return bool(_CHANNEL_ID.fullmatch(text))


def _fmt_amount(amount: Decimal) -> str:
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _to_decimal(value: Decimal | int | float | None) -> Decimal | None:
    """Accept ints/floats from callers without surprising float artefacts."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


# --- the policy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Channels:
    """Channel IDs the bot posts to; None means that kind of post has nowhere to go."""

    cases: str | None = None
    finance: str | None = None
    reports: str | None = None
    sales: str | None = None


@dataclass(frozen=True)
class RoutingRule:
    """One `[[routing]]` entry; an unset condition matches anything."""

    owner: str
    kinds: tuple[str, ...] = ()
    min_arr: Decimal | None = None
    max_arr: Decimal | None = None
    segments: tuple[str, ...] = ()

    def matches(self, kind: str, arr: Decimal | None, segment: str | None) -> bool:
        """ARR bounds are inclusive; an unknown ARR never satisfies a bound (no guessing)."""
        arr = _to_decimal(arr)
        if self.kinds and kind not in self.kinds:
            return False
        if self.min_arr is not None and (arr is None or arr < self.min_arr):
            return False
        if self.max_arr is not None and (arr is None or arr > self.max_arr):
            return False
        if self.segments:
            wanted = {s.casefold() for s in self.segments}
            if segment is None or segment.casefold() not in wanted:
                return False
        return True

    def describe(self) -> str:
        parts = [", ".join(self.kinds) if self.kinds else "any kind"]
        if self.min_arr is not None:
            parts.append(f"ARR >= {_fmt_amount(self.min_arr)}")
        if self.max_arr is not None:
            parts.append(f"ARR <= {_fmt_amount(self.max_arr)}")
        if self.segments:
            parts.append("segment " + " or ".join(self.segments))
        return f"{', '.join(parts)} -> {self.owner}"


@dataclass(frozen=True)
class Escalation:
    """Timers counted from a case's creation while nobody has acted (see CONTRACT §7)."""

    acknowledge_within: timedelta = timedelta(hours=4)
    escalate_after: timedelta = timedelta(days=1)
    repeat_every: timedelta = timedelta(days=1)
    stale_after: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class ApprovalRule:
    """One `[[offers.approval]]` entry: offers within every limit it sets go to `approver`."""

    approver: str
    max_discount_pct: Decimal | None = None
    max_value: Decimal | None = None
    max_arr: Decimal | None = None

    @property
    def needs_approval(self) -> bool:
        return self.approver != NO_APPROVAL

    def matches(
        self,
        discount_pct: Decimal | None,
        value: Decimal | None,
        arr: Decimal | None,
    ) -> bool:
        """No discount counts as 0%; an unknown value or ARR fails the limit on it (be strict)."""
        discount_pct, value, arr = _to_decimal(discount_pct), _to_decimal(value), _to_decimal(arr)
        if (
            self.max_discount_pct is not None
            and (discount_pct or Decimal(0)) > self.max_discount_pct
        ):
            return False
        if self.max_value is not None and (value is None or value > self.max_value):
            return False
        return not (self.max_arr is not None and (arr is None or arr > self.max_arr))

    def describe(self) -> str:
        limits = []
        if self.max_discount_pct is not None:
            limits.append(f"discount <= {_fmt_amount(self.max_discount_pct)}%")
        if self.max_value is not None:
            limits.append(f"value <= {_fmt_amount(self.max_value)}")
        if self.max_arr is not None:
            limits.append(f"ARR <= {_fmt_amount(self.max_arr)}")
        who = "none (the owner applies it)" if not self.needs_approval else self.approver
        return f"{', '.join(limits) if limits else 'any offer'} -> {who}"


@dataclass(frozen=True)
class DunningStep:
    """Notify `notify` (csm, account_owner, a role name, or a person) at this many days late."""

    days_past_due: int
    notify: str


@dataclass(frozen=True)
class Dunning:
    """Overdue-invoice ladder (steps sorted by days) and the pre-renewal invoice check."""

    pre_renewal_check: timedelta | None = timedelta(days=90)
    steps: tuple[DunningStep, ...] = ()

    def due_steps(self, days_past_due: int) -> tuple[DunningStep, ...]:
        """Every step an invoice this late has reached, in ladder order."""
        return tuple(s for s in self.steps if s.days_past_due <= days_past_due)

    def highest_due(self, days_past_due: int) -> DunningStep | None:
        """The one step an invoice first seen this late gets (CONTRACT §7, Dunning)."""
        due = self.due_steps(days_past_due)
        return due[-1] if due else None


@dataclass(frozen=True)
class Signals:
    """What to watch in Slack for churn talk."""

    watch_channels: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    bots: tuple[str, ...] = ()

    def matching_phrase(self, text: str) -> str | None:
        """First phrase found at the start of a word, case-insensitive ("cancel" ~ "Cancelled")."""
        for phrase in self.phrases:
            if re.search(r"(?<!\w)" + re.escape(phrase), text, re.IGNORECASE):
                return phrase
        return None


@dataclass(frozen=True)
class WeeklySchedule:
    """A weekday (0 = Monday) and a local time in the policy's timezone."""

    weekday: int
    at: time

    def __str__(self) -> str:
        return f"{DAY_NAMES[self.weekday]} {self.at:%H:%M}"


@dataclass(frozen=True)
class Reports:
    weekly: WeeklySchedule | None = WeeklySchedule(0, time(9, 0))
    reason_digest: MonthlySchedule | None = None  # off unless the file sets it


@dataclass(frozen=True)
class SurveyReason:
    """A root cause; `owner` (a channel ID or a person) hears about every loss with this cause."""

    key: str
    label: str
    owner: str | None = None
    hint: str | None = None


DEFAULT_ROUTING: tuple[RoutingRule, ...] = (
    RoutingRule(owner="finance", kinds=("payment_failed",)),
    RoutingRule(owner="account_owner", kinds=("cancellation", "non_renewal", "downgrade")),
    RoutingRule(owner="csm"),
)
DEFAULT_APPROVALS: tuple[ApprovalRule, ...] = (
    ApprovalRule(approver=NO_APPROVAL, max_discount_pct=Decimal(10), max_value=Decimal(5000)),
    ApprovalRule(approver="managers"),
)
DEFAULT_DUNNING_STEPS: tuple[DunningStep, ...] = (
    DunningStep(30, "csm"),
    DunningStep(60, "controller"),
    DunningStep(90, "cfo"),
)
DEFAULT_PHRASES: tuple[str, ...] = ("cancel", "not renewing", "terminate", "switching to")
DEFAULT_SURVEY_REASONS: tuple[SurveyReason, ...] = (
    SurveyReason("missing_functionality", "Missing functionality"),
    SurveyReason("product_quality", "Product quality or reliability"),
    SurveyReason("price_value", "Price too high for the value"),
    SurveyReason("poor_onboarding", "Poor onboarding or adoption"),
    SurveyReason("support_experience", "Support experience"),
    SurveyReason("champion_left", "Champion left, nobody took over"),
    SurveyReason("business_closed", "Business closed or acquired"),
    SurveyReason("budget_cut", "Budget cut"),
    SurveyReason("other", "Other"),
)
DEFAULT_MOVE_ON_CONFIRM_ABOVE_ARR = Decimal(50000)
FALLBACK_OWNER = "csm"
FALLBACK_APPROVER = "managers"


def _empty_roles() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({name: () for name in ROLE_NAMES})


@dataclass(frozen=True)
class Policy:
    """The whole validated policy. `source` is the file it came from, None for defaults."""

    source: str | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    business_hours: tuple[time, time] | None = (time(9, 0), time(17, 0))
    business_days: frozenset[int] = frozenset(range(5))
    channels: Channels = Channels()
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=_empty_roles)
    routing: tuple[RoutingRule, ...] = DEFAULT_ROUTING
    escalation: Escalation = Escalation()
    approvals: tuple[ApprovalRule, ...] = DEFAULT_APPROVALS
    move_on_confirm_above_arr: Decimal | None = DEFAULT_MOVE_ON_CONFIRM_ABOVE_ARR
    dunning: Dunning = Dunning(steps=DEFAULT_DUNNING_STEPS)
    signals: Signals = Signals(phrases=DEFAULT_PHRASES)
    reports: Reports = Reports()
    survey_reasons: tuple[SurveyReason, ...] = DEFAULT_SURVEY_REASONS

    @classmethod
    def defaults(cls) -> Policy:
        """The built-in policy used when no policy file exists."""
        return cls()

    # -- decisions ---------------------------------------------------------------------------

    def route(self, kind: str, arr: Decimal | None, segment: str | None) -> str:
        """Owner of the first matching routing rule: an OWNER_ROLES name or a person."""
        for rule in self.routing:
            if rule.matches(kind, arr, segment):
                return rule.owner
        return FALLBACK_OWNER

    def approver_for(
        self,
        discount_pct: Decimal | None,
        value: Decimal | None,
        arr: Decimal | None,
    ) -> str:
        """ "none", a role name, or a person; with no matching rule the managers decide."""
        for rule in self.approvals:
            if rule.matches(discount_pct, value, arr):
                return rule.approver
        return FALLBACK_APPROVER

    def role(self, name: str) -> tuple[str, ...]:
        """People (as written) holding a role; accepts owner-role names like "manager" too."""
        return self.roles.get(OWNER_ROLE_PEOPLE.get(name, name), ())

    def move_on_needs_confirmation(self, arr: Decimal | None) -> bool:
        """Moving a case on above the threshold needs a manager; unknown ARR does not."""
        threshold, arr = self.move_on_confirm_above_arr, _to_decimal(arr)
        return threshold is not None and arr is not None and arr > threshold

    def survey_reason(self, key: str) -> SurveyReason | None:
        return next((r for r in self.survey_reasons if r.key == key), None)

    def people(self) -> set[str]:
        """Every person or group reference in the policy, so they can be resolved up front."""
        found: set[str] = {p for people in self.roles.values() for p in people}
        candidates = [r.owner for r in self.routing]
        candidates += [a.approver for a in self.approvals]
        candidates += [s.notify for s in self.dunning.steps]
        candidates += [r.owner for r in self.survey_reasons if r.owner]
        found.update(c for c in candidates if is_person(c))
        return found

    # -- reporting ---------------------------------------------------------------------------

    def warnings(self) -> list[str]:
        """Things that are legal but probably not what the operator wants."""
        notes: list[str] = []
        if self.channels.cases is None:
            notes.append("channels.cases is not set: case threads cannot be posted")
        if not self.roles.get("managers"):
            notes.append("roles.managers is empty: escalations have nobody to reach")
        for i, rule in enumerate(self.routing):
            role = OWNER_ROLE_PEOPLE.get(rule.owner)
            if role and not self.roles.get(role):
                notes.append(
                    f"routing[{i}] sends cases to {rule.owner} but roles.{role} is empty: "
                    "nobody can own them"
                )
        for i, approval in enumerate(self.approvals):
            if approval.approver in ROLE_NAMES and not self.roles.get(approval.approver):
                notes.append(
                    f"offers.approval[{i}] needs {approval.approver} but roles.{approval.approver}"
                    " is empty: those offers cannot be approved"
                )
        for i, step in enumerate(self.dunning.steps):
            if step.notify in ROLE_NAMES and not self.roles.get(step.notify):
                notes.append(
                    f"dunning.steps[{i}] notifies {step.notify} but roles.{step.notify} is empty:"
                    f" nobody hears about invoices {step.days_past_due} days past due"
                )
        if self.channels.finance is None and (self.dunning.steps or self.dunning.pre_renewal_check):
            notes.append(
                "channels.finance is not set: dunning lines and renewal answers have no channel"
            )
        if self.reports.weekly is not None and self.channels.reports is None:
            notes.append("channels.reports is not set: the weekly report cannot be posted")
        if self.channels.sales is None:
            notes.append("channels.sales is not set: leads from departed champions are not posted")
        if not any(r.owner for r in self.survey_reasons):
            notes.append(
                "survey.reasons is not set: the built-in root causes have no owners, so no "
                "function hears about losses"
            )
        if self.signals.bots and not self.signals.watch_channels:
            notes.append("signals.bots is set but signals.watch_channels is empty: nothing is read")
        esc = self.escalation
        if esc.escalate_after <= esc.acknowledge_within:
            notes.append(
                f"escalation.escalate_after ({format_duration(esc.escalate_after)}) is not after "
                f"acknowledge_within ({format_duration(esc.acknowledge_within)}): managers are "
                "brought in before the owner is nudged"
            )
        return notes

    def describe(self) -> str:
        """A readable summary for `python app.py check`."""
        lines = [f"Policy: {self.source or 'no policy file: built-in defaults'}"]
        lines.append(f"Calendar: {self._describe_calendar()}")
        lines += self._describe_channels_and_roles()
        lines.append(f"Routing (first match wins; no match -> {FALLBACK_OWNER}):")
        lines += [f"  {i}. {rule.describe()}" for i, rule in enumerate(self.routing, 1)]
        esc = self.escalation
        lines.append(
            f"Escalation: nudge the owner after {format_duration(esc.acknowledge_within)}, "
            f"bring in managers after {format_duration(esc.escalate_after)}, "
            f"repeat every {format_duration(esc.repeat_every)}; "
            f"stale after {format_duration(esc.stale_after)} without an update"
        )
        lines.append(f"Offer approvals (first match wins; no match -> {FALLBACK_APPROVER}):")
        lines += [f"  {i}. {rule.describe()}" for i, rule in enumerate(self.approvals, 1)]
        if self.move_on_confirm_above_arr is None:
            lines.append("Move on: never needs a manager's confirmation")
        else:
            amount = _fmt_amount(self.move_on_confirm_above_arr)
            lines.append(f"Move on: a manager confirms above ARR {amount}")
        lines += self._describe_dunning()
        lines += self._describe_signals()
        weekly = self.reports.weekly
        target = self.channels.reports or "(no channel)"
        lines.append(f"Weekly report: {f'{weekly} -> {target}' if weekly else 'off'}")
        digest = self.reports.reason_digest
        lines.append(f"Reason digest: {f'{digest} -> each root cause owner' if digest else 'off'}")
        lines.append("Survey root causes (key: label -> owner):")
        for reason in self.survey_reasons:
            owner = f" -> {reason.owner}" if reason.owner else " -> (nobody is told)"
            hint = f"  ({reason.hint})" if reason.hint else ""
            lines.append(f"  {reason.key}: {reason.label}{owner}{hint}")
        return "\n".join(lines)

    def _describe_calendar(self) -> str:
        if self.business_hours is None:
            return f"{self.timezone.key}, business calendar off (nudges at any time)"
        start, end = self.business_hours
        days = ", ".join(DAY_NAMES[d] for d in sorted(self.business_days))
        return f"{self.timezone.key}, {start:%H:%M}-{end:%H:%M} on {days}"

    def _describe_channels_and_roles(self) -> list[str]:
        channels = self.channels
        pairs = [
            ("cases", channels.cases),
            ("finance", channels.finance),
            ("reports", channels.reports),
            ("sales", channels.sales),
        ]
        lines = ["Channels: " + ", ".join(f"{name} {cid or '(not set)'}" for name, cid in pairs)]
        lines.append("Roles:")
        for name in ROLE_NAMES:
            lines.append(f"  {name}: {', '.join(self.roles.get(name, ())) or '(nobody)'}")
        return lines

    def _describe_dunning(self) -> list[str]:
        check = self.dunning.pre_renewal_check
        when = f"{format_duration(check)} before renewal" if check else "off"
        lines = [f"Dunning: pre-renewal invoice check {when}"]
        for step in self.dunning.steps:
            lines.append(f"  {step.days_past_due} days past due -> {step.notify}")
        return lines

    def _describe_signals(self) -> list[str]:
        signals = self.signals
        phrases = ", ".join(json.dumps(p, ensure_ascii=False) for p in signals.phrases)
        return [
            f"Watched channels: {', '.join(signals.watch_channels) or '(none)'}",
            f"  phrases: {phrases or '(none)'}",
            f"  integration bots: {', '.join(signals.bots) or '(none)'}",
        ]


# --- loading --------------------------------------------------------------------------------


def load_policy(path: Path) -> Policy:
    """Load and validate the policy file; a missing file means the built-in defaults."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return Policy.defaults()
    except OSError as exc:
        raise PolicyError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    return parse_policy(text, source=name)


def parse_policy(text: str, source: str = "policy.toml") -> Policy:
    """Validate policy TOML text; `source` names it in error messages and in `Policy.source`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: {_toml_error(str(exc))}") from None
    try:
        return _parse(data, source)
    except _Problem as problem:
        raise PolicyError(f"{source}: {problem}") from None


def _toml_error(message: str) -> str:
    if match := _TOML_AT_LINE.fullmatch(message):
        return f"line {match.group(2)}: {_one_line(match.group(1))}"
    if match := _TOML_AT_END.fullmatch(message):
        return f"at end of file: {_one_line(match.group(1))}"
    return _one_line(message)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- key paths, values and types ------------------------------------------------------------


def _at(parent: str, key: str) -> str:
    part = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{parent}.{part}" if parent else part


def _show(value: Any) -> str:
    """A value as the operator wrote it, always on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False, default=str)


def _check_keys(table: dict[str, Any], where: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean {close[0]}?)" if close else f" (use {', '.join(allowed)})"
            raise _Problem(_at(where, key), "unknown key" + hint)


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
    """A non-negative amount; floats go through str() so 0.1 stays 0.1."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Problem(where, f"expected {expected}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Problem(where, f"{_show(value)} is not a finite number")
    amount = Decimal(str(value))
    if amount < 0:
        raise _Problem(where, f"{_show(value)} must not be negative")
    if maximum is not None and amount > maximum:
        raise _Problem(where, f"{_show(value)} must be at most {_fmt_amount(maximum)}")
    return amount


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


# --- sections -------------------------------------------------------------------------------

_TOP_KEYS = (
    "timezone",
    "business_hours",
    "business_days",
    "channels",
    "roles",
    "routing",
    "escalation",
    "offers",
    "dunning",
    "signals",
    "reports",
    "survey",
)


def _parse(data: dict[str, Any], source: str | None) -> Policy:
    _check_keys(data, "", _TOP_KEYS)
    base = Policy()
    return Policy(
        source=source,
        timezone=_timezone(data.get("timezone", "UTC")),
        business_hours=_business_hours(data.get("business_hours", "09:00-17:00")),
        business_days=_business_days(data.get("business_days", list(DAY_NAMES[:5]))),
        channels=_channels(data.get("channels", {})),
        roles=_roles(data.get("roles", {})),
        routing=_routing(data["routing"]) if "routing" in data else base.routing,
        escalation=_escalation(data.get("escalation", {})),
        **_offers(data.get("offers", {})),
        dunning=_dunning(data.get("dunning", {})),
        signals=_signals(data.get("signals", {})),
        reports=_reports(data.get("reports", {})),
        survey_reasons=_survey(data.get("survey", {})),
    )


def _timezone(value: Any) -> ZoneInfo:
    name = _string(value, "timezone", 'a time zone name like "America/New_York"')
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Problem(
            "timezone", f'{_show(name)} is not a time zone (use a name like "America/New_York")'
        ) from None


def _business_hours(value: Any) -> tuple[time, time] | None:
    text = _string(value, "business_hours", 'a string like "09:00-17:00"')
    if text == "":
        return None
    start_text, _, end_text = text.partition("-")
    start, end = _clock(start_text), _clock(end_text)
    if start is None or end is None:
        raise _Problem(
            "business_hours",
            f'{_show(text)} is not a time range (use "09:00-17:00", or "" to nudge any time)',
        )
    if start >= end:
        raise _Problem("business_hours", f"{_show(text)} must start before it ends")
    return start, end


def _business_days(value: Any) -> frozenset[int]:
    names = _strings(value, "business_days", "day names")
    days: set[int] = set()
    for i, name in enumerate(names):
        if name.lower() not in DAY_NAMES:
            raise _Problem(
                f"business_days[{i}]", f"{_show(name)} is not a day (use {', '.join(DAY_NAMES)})"
            )
        days.add(DAY_NAMES.index(name.lower()))
    if not days:
        raise _Problem(
            "business_days", 'is empty (list at least one day, or set business_hours = "")'
        )
    return frozenset(days)


def _channels(value: Any) -> Channels:
    table = _table(value, "channels", ("cases", "finance", "reports", "sales"))
    return Channels(**{key: _channel(cid, _at("channels", key)) for key, cid in table.items()})


def _roles(value: Any) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise _Problem("roles", "expected a table ([roles])")
    roles: dict[str, tuple[str, ...]] = {name: () for name in ROLE_NAMES}
    for name, people in value.items():
        where = _at("roles", name)
        if name not in ROLE_NAMES:
            raise _Problem(where, f"unknown role (use {', '.join(ROLE_NAMES)})")
        people = _strings(people, where, "people")
        roles[name] = tuple(_person(p, f"{where}[{i}]") for i, p in enumerate(people))
    return MappingProxyType(roles)


def _routing(value: Any) -> tuple[RoutingRule, ...]:
    rules = []
    for i, table in enumerate(_tables(value, "routing")):
        where = f"routing[{i}]"
        _check_keys(table, where, ("kinds", "min_arr", "max_arr", "segment", "owner"))
        owner_hint = f"use {', '.join(OWNER_ROLES)}, or a person"
        owner = _one_of_or_person(
            _required(table, "owner", where, owner_hint),
            _at(where, "owner"),
            OWNER_ROLES,
            "an owner",
        )
        rule = RoutingRule(
            owner=owner,
            kinds=_kinds(table["kinds"], _at(where, "kinds")) if "kinds" in table else (),
            min_arr=_optional_number(table, "min_arr", where),
            max_arr=_optional_number(table, "max_arr", where),
            segments=_segments(table["segment"], _at(where, "segment"))
            if "segment" in table
            else (),
        )
        if rule.min_arr is not None and rule.max_arr is not None and rule.min_arr > rule.max_arr:
            raise _Problem(_at(where, "max_arr"), "must not be below min_arr")
        rules.append(rule)
    return tuple(rules)


def _kinds(value: Any, where: str) -> tuple[str, ...]:
    kinds = _strings(value, where, "kinds")
    if not kinds:
        raise _Problem(where, "is empty (leave it out to match every kind)")
    for i, kind in enumerate(kinds):
        if kind not in KINDS:
            raise _Problem(f"{where}[{i}]", f"{_show(kind)} is not a kind (use {', '.join(KINDS)})")
    return tuple(kinds)


def _segments(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    segments = _strings(value, where, "segment names (or one string)")
    if not segments or not all(s.strip() for s in segments):
        raise _Problem(where, "needs a segment name (leave it out to match every segment)")
    return tuple(segments)


def _optional_number(table: dict[str, Any], key: str, where: str, **limits: Any) -> Decimal | None:
    return _number(table[key], _at(where, key), **limits) if key in table else None


def _escalation(value: Any) -> Escalation:
    keys = ("acknowledge_within", "escalate_after", "repeat_every", "stale_after")
    table = _table(value, "escalation", keys)
    defaults = Escalation()
    timers = {
        key: _duration(table[key], _at("escalation", key))
        if key in table
        else getattr(defaults, key)
        for key in keys
    }
    for key in ("repeat_every", "stale_after"):
        if key in table and timers[key] <= timedelta(0):
            raise _Problem(_at("escalation", key), f"{_show(table[key])} must be longer than 0s")
    return Escalation(**timers)


def _offers(value: Any) -> dict[str, Any]:
    table = _table(value, "offers", ("approval", "move_on_confirm_above_arr"))
    approvals = DEFAULT_APPROVALS
    if "approval" in table:
        approvals = tuple(
            _approval(t, f"offers.approval[{i}]")
            for i, t in enumerate(_tables(table["approval"], "offers.approval"))
        )
    threshold: Decimal | None = DEFAULT_MOVE_ON_CONFIRM_ABOVE_ARR
    if "move_on_confirm_above_arr" in table:
        raw = table["move_on_confirm_above_arr"]
        where = "offers.move_on_confirm_above_arr"
        threshold = (
            None if raw == "" else _number(raw, where, expected='a number (or "" for never)')
        )
    return {"approvals": approvals, "move_on_confirm_above_arr": threshold}


def _approval(table: dict[str, Any], where: str) -> ApprovalRule:
    _check_keys(table, where, ("max_discount_pct", "max_value", "max_arr", "approver"))
    names = (NO_APPROVAL, *ROLE_NAMES)
    approver = _required(table, "approver", where, f"use {', '.join(names)}, or a person")
    return ApprovalRule(
        approver=_one_of_or_person(approver, _at(where, "approver"), names, "an approver"),
        max_discount_pct=_optional_number(table, "max_discount_pct", where, maximum=Decimal(100)),
        max_value=_optional_number(table, "max_value", where),
        max_arr=_optional_number(table, "max_arr", where),
    )


def _dunning(value: Any) -> Dunning:
    table = _table(value, "dunning", ("pre_renewal_check", "steps"))
    check: timedelta | None = Dunning().pre_renewal_check
    if "pre_renewal_check" in table:
        raw = table["pre_renewal_check"]
        check = None if raw == "" else _positive_duration(raw, "dunning.pre_renewal_check")
    steps = DEFAULT_DUNNING_STEPS
    if "steps" in table:
        steps = _dunning_steps(table["steps"])
    return Dunning(pre_renewal_check=check, steps=steps)


def _dunning_steps(value: Any) -> tuple[DunningStep, ...]:
    steps: list[DunningStep] = []
    targets = (*ACCOUNT_ROLES, *ROLE_NAMES)
    for i, table in enumerate(_tables(value, "dunning.steps")):
        where = f"dunning.steps[{i}]"
        _check_keys(table, where, ("days_past_due", "notify"))
        days = _required(table, "days_past_due", where, "a whole number of days, like 30")
        days_where = _at(where, "days_past_due")
        if isinstance(days, bool) or not isinstance(days, int):
            raise _Problem(days_where, "expected a whole number of days, like 30")
        if days <= 0:
            raise _Problem(days_where, f"{days} must be at least 1")
        if steps and days <= steps[-1].days_past_due:
            previous = steps[-1].days_past_due
            raise _Problem(days_where, f"{days} must be more than the previous step's {previous}")
        notify = _required(table, "notify", where, f"use {', '.join(targets)}, or a person")
        notify = _one_of_or_person(notify, _at(where, "notify"), targets, "someone to notify")
        steps.append(DunningStep(days_past_due=days, notify=notify))
    return tuple(steps)


def _signals(value: Any) -> Signals:
    table = _table(value, "signals", ("watch_channels", "phrases", "bots"))
    channels = _strings(table.get("watch_channels", []), "signals.watch_channels", "channel IDs")
    phrases = _strings(table.get("phrases", list(DEFAULT_PHRASES)), "signals.phrases", "phrases")
    bots = _strings(table.get("bots", []), "signals.bots", "bot IDs")
    for i, phrase in enumerate(phrases):
        if not phrase.strip():
            raise _Problem(f"signals.phrases[{i}]", "is empty (it would match every message)")
    for i, bot in enumerate(bots):
        if not _BOT_ID.fullmatch(bot):
            raise _Problem(
                f"signals.bots[{i}]",
                f"{_show(bot)} is not a bot ID (use an ID like B0123, from the bot's profile)",
            )
    return Signals(
        watch_channels=tuple(
            _channel(c, f"signals.watch_channels[{i}]") for i, c in enumerate(channels)
        ),
        phrases=tuple(p.strip() for p in phrases),
        bots=tuple(bots),
    )


def _reports(value: Any) -> Reports:
    table = _table(value, "reports", ("weekly", "reason_digest"))
    try:
        digest = parse_reason_digest(table.get("reason_digest", ""))
    except SurveyPolicyError as err:
        raise _Problem(err.problem.path, err.problem.message) from None
    if "weekly" not in table:
        return Reports(reason_digest=digest)
    text = _string(table["weekly"], "reports.weekly", 'a day and a time like "mon 09:00"')
    if text == "":
        return Reports(weekly=None, reason_digest=digest)
    day, _, clock_text = text.strip().partition(" ")
    at = _clock(clock_text)
    if day.lower() not in DAY_NAMES or at is None:
        raise _Problem(
            "reports.weekly",
            f'{_show(text)} is not a weekly time (use a day and a time like "mon 09:00", '
            'or "" to turn it off)',
        )
    weekly = WeeklySchedule(weekday=DAY_NAMES.index(day.lower()), at=at)
    return Reports(weekly=weekly, reason_digest=digest)


def _survey(value: Any) -> tuple[SurveyReason, ...]:
    """The root-cause taxonomy; every malformed entry is named (bot/survey/policy.py)."""
    reasons, problems = check_survey(value)
    if problems:
        first, rest = problems[0], "".join(f"; {p}" for p in problems[1:])
        raise _Problem(first.path, first.message + rest)
    if reasons is None:
        return DEFAULT_SURVEY_REASONS
    return tuple(SurveyReason(r.key, r.label, r.owner, r.hint) for r in reasons)
