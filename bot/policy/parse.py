"""The policy file, TOML → `Policy`: every key is optional and takes the built-in default.
Any mistake stops start-up with `PolicyError`, one line naming the file and the key path
(an operator reads it in a deploy log, not a debugger)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.common.amounts import currency_code
from bot.common.policy_keys import ACCOUNT_ROLES, OWNER_ROLES
from bot.hours.policy import parse_people_policy
from bot.outbound.policy import parse_outbound_webhooks
from bot.policy.models import (
    _BOT_ID,
    DAY_NAMES,
    DEFAULT_APPROVALS,
    DEFAULT_DUNNING_STEPS,
    DEFAULT_MOVE_ON_CONFIRM_ABOVE_ARR,
    DEFAULT_PHRASES,
    DEFAULT_SAVE_CHECKPOINTS,
    DEFAULT_SURVEY_REASONS,
    KINDS,
    NO_APPROVAL,
    ROLE_NAMES,
    ApprovalRule,
    Channels,
    Dunning,
    DunningStep,
    Escalation,
    Policy,
    PolicyError,
    Reports,
    RoutingRule,
    Signals,
    SurveyReason,
    WeeklySchedule,
)
from bot.policy.values import (
    Problems,
    _at,
    _channel,
    _check_keys,
    _checkpoints,
    _clock,
    _duration,
    _number,
    _one_of_or_person,
    _person,
    _positive_duration,
    _Problem,
    _required,
    _show,
    _string,
    _strings,
    _table,
    _tables,
    _toml_error,
    check_durations,
)
from bot.survey.policy import SurveyPolicyError, check_survey, parse_reason_digest
from bot.turnover.policy import parse_turnover_policy

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
        raise PolicyError(f"{source}: {_toml_error(str(exc), text)}") from None
    try:
        return _parse(data, source)
    except _Problem as problem:
        raise PolicyError(f"{source}: {problem}") from None


# --- sections -------------------------------------------------------------------------------

_TOP_KEYS = (
    "timezone", "business_hours", "business_days", "currency", "channels", "roles", "routing",
    "escalation", "offers", "dunning", "signals", "reports", "survey", "turnover",
    "outbound_webhooks", "people",
)  # fmt: skip


def _parse(data: dict[str, Any], source: str | None) -> Policy:
    """Each section is read on its own and every section's first problem is named (a bad
    duration used to hide an unknown key in [channels] or a bad time zone)."""
    problems, base = Problems(), Policy()
    problems.read(lambda: check_durations(data), None)
    problems.read(lambda: _check_keys(data, "", _TOP_KEYS), None)
    readers: dict[str, Callable[[], Any]] = {
        "timezone": lambda: _timezone(data.get("timezone", "UTC")),
        "business_hours": lambda: _business_hours(data.get("business_hours", "09:00-17:00")),
        "business_days": lambda: _business_days(data.get("business_days", list(DAY_NAMES[:5]))),
        "currency": lambda: _currency(data.get("currency", "USD")),
        "channels": lambda: _channels(data.get("channels", {})),
        "roles": lambda: _roles(data.get("roles", {})),
        "routing": lambda: _routing(data["routing"]) if "routing" in data else base.routing,
        "escalation": lambda: _escalation(data.get("escalation", {})),
        "dunning": lambda: _dunning(data.get("dunning", {})),
        "signals": lambda: _signals(data.get("signals", {})),
        "reports": lambda: _reports(data.get("reports", {})),
        "survey_reasons": lambda: _survey(data.get("survey", {})),
        "turnover": lambda: parse_turnover_policy(data.get("turnover", {}), error=_Problem),
        "outbound_webhooks": lambda: parse_outbound_webhooks(
            data.get("outbound_webhooks", []), _Problem
        ),
        "people_rules": lambda: parse_people_policy(data.get("people", {}), _Problem),
    }
    fields = {name: problems.read(reader, getattr(base, name)) for name, reader in readers.items()}
    fields |= problems.read(lambda: _offers(data.get("offers", {})), {})
    problems.stop_if_any()
    return Policy(source=source, **fields)


def _timezone(value: Any) -> ZoneInfo:
    name = _string(value, "timezone", 'a time zone name like "America/New_York"')
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Problem(
            "timezone", f'{_show(name)} is not a time zone (use a name like "America/New_York")'
        ) from None


def _currency(value: Any) -> str:
    code = _string(value, "currency", 'a three-letter ISO 4217 code like "USD"')
    try:
        return currency_code(code)
    except ValueError:
        raise _Problem(
            "currency", f'{_show(code)} is not an ISO 4217 currency code (use one like "EUR")'
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
    table = _table(value, "reports", ("weekly", "reason_digest", "save_checkpoints"))
    try:
        digest = parse_reason_digest(table.get("reason_digest", ""))
    except SurveyPolicyError as err:
        raise _Problem(err.problem.path, err.problem.message) from None
    points = _checkpoints(table.get("save_checkpoints", list(DEFAULT_SAVE_CHECKPOINTS)))
    if "weekly" not in table:
        return Reports(reason_digest=digest, save_checkpoints=points)
    text = _string(table["weekly"], "reports.weekly", 'a day and a time like "mon 09:00"')
    if text == "":
        return Reports(weekly=None, reason_digest=digest, save_checkpoints=points)
    day, _, clock_text = text.strip().partition(" ")
    at = _clock(clock_text)
    if day.lower() not in DAY_NAMES or at is None:
        raise _Problem(
            "reports.weekly",
            f'{_show(text)} is not a weekly time (use a day and a time like "mon 09:00", '
            'or "" to turn it off)',
        )
    weekly = WeeklySchedule(weekday=DAY_NAMES.index(day.lower()), at=at)
    return Reports(weekly=weekly, reason_digest=digest, save_checkpoints=points)


def _survey(value: Any) -> tuple[SurveyReason, ...]:
    """The root-cause taxonomy; every malformed entry is named (bot/survey/policy.py)."""
    reasons, problems = check_survey(value)
    if problems:
        first, rest = problems[0], "".join(f"; {p}" for p in problems[1:])
        raise _Problem(first.path, first.message + rest)
    if reasons is None:
        return DEFAULT_SURVEY_REASONS
    return tuple(SurveyReason(r.key, r.label, r.owner, r.hint) for r in reasons)
