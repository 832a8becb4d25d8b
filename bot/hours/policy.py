"""The policy's `[people]` table: which Slack statuses count as time off and whether the
escalation clock counts the owner's working time (docs/hours.md). Each person's default
working window is the policy's `business_hours` and `business_days`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

WORKING, ELAPSED = "working", "elapsed"
CLOCKS = (WORKING, ELAPSED)
PEOPLE_KEYS = ("away_statuses", "escalation_clock")


@dataclass(frozen=True)
class PeoplePolicy:
    """`away_statuses`: Slack status emoji (":palm_tree:") that mean away until the status
    expires (empty: statuses never count); `escalation_clock`: "elapsed" (the default: the
    escalation ladder counts every hour and lands in the owner's next working window) or
    "working" (it counts the owner's working time)."""

    away_statuses: tuple[str, ...] = ()
    """Slack status emoji (":palm_tree:", ":face_with_thermometer:") that mean away until
    the status expires; a status with no expiry never counts; empty: statuses never count."""
    escalation_clock: str = ELAPSED
    """"elapsed" (the default: `d` is 24 hours, docs/escalation.md): every hour counts and
    the step waits for the owner's next working window; "working": `acknowledge_within`,
    `escalate_after` and `repeat_every` count the owner's working time (a day is one
    working day)."""

    @property
    def working_clock(self) -> bool:
        return self.escalation_clock == WORKING


def parse_people_policy(value: Any, error: Callable[[str, str], Exception]) -> PeoplePolicy:
    """Validate the `[people]` table; raises `error(key path, message)`."""
    if not isinstance(value, dict):
        raise error("people", "expected a table ([people])")
    unknown = sorted(set(value) - set(PEOPLE_KEYS))
    if unknown:
        raise error(f"people.{unknown[0]}", f"unknown key (use {', '.join(PEOPLE_KEYS)})")
    statuses = value.get("away_statuses", [])
    if not isinstance(statuses, list) or not all(_emoji(s) for s in statuses):
        raise error("people.away_statuses", 'expected a list of emoji like ":palm_tree:"')
    clock = value.get("escalation_clock", ELAPSED)
    if clock not in CLOCKS:
        raise error("people.escalation_clock", f"expected one of {', '.join(CLOCKS)}")
    return PeoplePolicy(tuple(statuses), clock)


def describe_people_policy(people: PeoplePolicy) -> list[str]:
    """Lines for `python app.py check`."""
    statuses = ", ".join(people.away_statuses) or "none (Slack statuses never count)"
    return [
        f"Escalation clock: the owner's {people.escalation_clock} time",
        f"Away statuses: {statuses}",
    ]


def _emoji(text: Any) -> bool:
    return isinstance(text, str) and len(text) > 2 and text.startswith(":") and text.endswith(":")
