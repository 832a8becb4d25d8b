"""The policy: who owns which case, when to escalate, who approves offers, who chases invoices.

`models` holds the frozen dataclasses and the decisions, `parse` turns TOML into them with
one-line `PolicyError`s, `describe` is `python app.py check`'s summary. Import from here.
"""

from bot.common.policy_keys import ACCOUNT_ROLES, OWNER_ROLE_PEOPLE, OWNER_ROLES, OwnerRole
from bot.policy.models import (
    DAY_NAMES,
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
    is_channel,
    is_person,
)
from bot.policy.parse import load_policy, parse_policy

__all__ = [
    "ACCOUNT_ROLES",
    "DAY_NAMES",
    "KINDS",
    "NO_APPROVAL",
    "OWNER_ROLES",
    "OWNER_ROLE_PEOPLE",
    "ROLE_NAMES",
    "ApprovalRule",
    "Channels",
    "Dunning",
    "DunningStep",
    "Escalation",
    "OwnerRole",
    "Policy",
    "PolicyError",
    "Reports",
    "RoutingRule",
    "Signals",
    "SurveyReason",
    "WeeklySchedule",
    "is_channel",
    "is_person",
    "load_policy",
    "parse_policy",
]
