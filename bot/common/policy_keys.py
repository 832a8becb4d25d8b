"""What the policy file and the domains' own sections of it (`[survey]`, `[turnover]`) share:
key paths and values as messages show them, unknown-key hints, amounts, the ARR band and
segments a rule matches on, and the owner roles routing and dunning name.

Outside the `bot.policy` package on purpose: that package imports `bot.survey.policy` and
`bot.turnover.policy`, so they cannot import it back; this leaf module serves all three.
Readers raise `error(key path, message)`, so each section keeps its own exception type.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

Error = Callable[[str, str], Exception]
"""Builds the exception a reader raises from the key path and what is wrong there."""


class OwnerRole(StrEnum):
    """Routing owners (and dunning steps' `notify`) that are roles rather than people; the
    CSM and account owner come from the account, the rest from `[roles]`."""

    CSM = "csm"
    ACCOUNT_OWNER = "account_owner"
    SAVE_DESK = "save_desk"
    MANAGER = "manager"
    FINANCE = "finance"


OWNER_ROLES: tuple[str, ...] = tuple(OwnerRole)
"""Routing owners that are roles rather than people; csm/account_owner come from the account."""

OWNER_ROLE_PEOPLE: Mapping[str, str] = MappingProxyType(
    {OwnerRole.SAVE_DESK: "save_desk", OwnerRole.MANAGER: "managers", OwnerRole.FINANCE: "finance"}
)
"""Which `[roles]` entry supplies the people for a routing owner role."""

ACCOUNT_ROLES: tuple[str, ...] = (OwnerRole.CSM, OwnerRole.ACCOUNT_OWNER)
"""Roles filled per account (from the accounts import), not by the policy file."""

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def at(parent: str, key: str) -> str:
    """The key path of `key` inside `parent`, quoting a key TOML would have to quote."""
    part = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{parent}.{part}" if parent else part


def show(value: Any) -> str:
    """A value as the operator wrote it, always on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False, default=str)


def unknown_key(key: str, allowed: tuple[str, ...]) -> str:
    """What is wrong with a key that is not allowed: the closest allowed one, or them all."""
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f" (did you mean {close[0]}?)" if close else f" (use {', '.join(allowed)})"
    return "unknown key" + hint


def check_keys(table: dict[str, Any], where: str, allowed: Iterable[str], error: Error) -> None:
    """Raise `error` for the first key of `table` that is not allowed."""
    allowed = tuple(allowed)
    for key in table:
        if key not in allowed:
            raise error(at(where, key), unknown_key(key, allowed))


def number(
    value: Any,
    where: str,
    error: Error,
    *,
    maximum: Decimal | None = None,
    expected: str = "a number",
) -> Decimal:
    """A non-negative amount; floats go through str() so 0.1 stays 0.1."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise error(where, f"expected {expected}")
    if isinstance(value, float) and not math.isfinite(value):
        raise error(where, f"{show(value)} is not a finite number")
    amount = Decimal(str(value))
    if amount < 0:
        raise error(where, f"{show(value)} must not be negative")
    if maximum is not None and amount > maximum:
        raise error(where, f"{show(value)} must be at most {fmt_amount(maximum)}")
    return amount


def fmt_amount(amount: Decimal) -> str:
    """An amount without trailing zeros ("1500", "0.5"), as `check` prints it."""
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def in_band(
    arr: Decimal | None,
    min_arr: Decimal | None,
    max_arr: Decimal | None,
    segment: str | None,
    segments: tuple[str, ...],
) -> bool:
    """Whether an account fits a rule's ARR band and segments. Bounds are inclusive and an
    unknown ARR never satisfies one (no guessing); segments compare without case, and none
    listed means any segment."""
    if min_arr is not None and (arr is None or arr < min_arr):
        return False
    if max_arr is not None and (arr is None or arr > max_arr):
        return False
    if segments:
        wanted = {s.casefold() for s in segments}
        if segment is None or segment.casefold() not in wanted:
            return False
    return True
