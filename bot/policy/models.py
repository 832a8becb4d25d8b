"""The policy's model: frozen dataclasses for who owns which case, when to escalate, who
approves offers and who chases invoices, with the decisions they answer (`Policy.route`,
`Policy.approver_for`, ...).

Built by `bot.policy.parse` from TOML (see `policy.example.toml`) or taken as the built-in
defaults. Nothing here talks to Slack: people stay as written (user IDs, emails, @groups) and
another component resolves them. The vocabulary (kinds and so on) lives in `bot.common.vocab`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bot.common.policy_keys import OWNER_ROLE_PEOPLE, OwnerRole, in_band
from bot.common.policy_keys import fmt_amount as _fmt_amount
from bot.common.vocab import Kind
from bot.hours.policy import PeoplePolicy
from bot.outbound.policy import OutboundWebhook
from bot.survey.policy import MonthlySchedule
from bot.turnover.policy import TurnoverPolicy

KINDS: tuple[str, ...] = tuple(kind.value for kind in Kind)
"""Every kind of churn signal; `payment_failed` is the payment track, the rest are churn."""


ROLE_NAMES: tuple[str, ...] = ("managers", "save_desk", "finance", "controller", "cfo", "admins")
"""The keys of `[roles]`; each holds a list of people."""

NO_APPROVAL = "none"
"""The approver value meaning the offer's owner may apply it directly."""

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names in `datetime.weekday()` order (0 = Monday)."""

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_GROUP = re.compile(r"@[A-Za-z0-9][A-Za-z0-9._-]*")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
_BOT_ID = re.compile(r"B[A-Z0-9]{2,}")


class PolicyError(ValueError):
    """A policy file problem, as one line: `<file>: <key path>: <what is wrong>`."""


# --- small predicates other components use too ---------------------------------------------


def is_person(text: str) -> bool:
    """True for a Slack user ID (`U…`/`W…`), an email, or a user group handle (`@…`)."""
    return bool(_USER_ID.fullmatch(text) or _EMAIL.fullmatch(text) or _GROUP.fullmatch(text))


def is_channel(text: str) -> bool:
    """True for a Slack channel ID: public `C…`, private `G…`, or a DM `D…`."""
    return bool(_CHANNEL_ID.fullmatch(text))


def _to_decimal(value: Decimal | int | float | None) -> Decimal | None:
    """Accept ints/floats from callers without surprising float artefacts."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


# --- the policy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Channels:
    """Channel IDs the bot posts to; unset, that kind of post has nowhere to go."""

    cases: str | None = None  # case threads; `check` fails without it
    finance: str | None = None  # dunning lines and pre-renewal answers
    reports: str | None = None  # the weekly revenue-at-risk report
    sales: str | None = None  # leads: a champion who left for another company


@dataclass(frozen=True)
class RoutingRule:
    """One `[[routing]]` entry; an unset condition matches anything. Entries are tried in
    file order and the first match names the owner (no match: the CSM, then a manager)."""

    owner: str
    """csm, account_owner, save_desk (its member with the fewest open cases), manager,
    finance, or a person; a role with nobody behind it falls back to the CSM, then a manager."""
    kinds: tuple[str, ...] = ()  # signal kinds it matches; leave out for every kind
    min_arr: Decimal | None = None  # the account's ARR at least this; unknown ARR never matches
    max_arr: Decimal | None = None  # the account's ARR at most this; unknown ARR never matches
    segments: tuple[str, ...] = ()  # one segment name or a list; leave out for every segment

    def matches(self, kind: str, arr: Decimal | None, segment: str | None) -> bool:
        """ARR bounds are inclusive; an unknown ARR never satisfies a bound (no guessing)."""
        arr = _to_decimal(arr)
        if self.kinds and kind not in self.kinds:
            return False
        return in_band(arr, self.min_arr, self.max_arr, segment, self.segments)

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
    """Timers counted from a case's creation while nobody has acted (docs/escalation.md)."""

    acknowledge_within: timedelta = timedelta(hours=4)  # then nudge the owner
    escalate_after: timedelta = timedelta(days=1)  # then bring the managers into the thread
    repeat_every: timedelta = timedelta(days=1)  # then remind owner and managers this often
    stale_after: timedelta = timedelta(days=7)  # once acted on: nudge after this long quiet


@dataclass(frozen=True)
class ApprovalRule:
    """One `[[offers.approval]]` entry: offers within every limit it sets go to `approver`."""

    approver: str
    """"none" (the owner applies it at once), a role of `[roles]`, or a person; never the
    proposer."""
    max_discount_pct: Decimal | None = None  # discount % at most this (0-100)
    max_value: Decimal | None = None  # offer value at most this, in the account's currency
    max_arr: Decimal | None = None  # the account's ARR at most this

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

    days_past_due: int  # calendar days in `timezone`; each step later than the last
    notify: str
    """csm, account_owner, a role (finance, controller, cfo, managers, save_desk, admins)
    or a person: each is sent a DM, and `channels.finance` gets a line."""


@dataclass(frozen=True)
class Dunning:
    """Overdue-invoice ladder (steps sorted by days) and the pre-renewal invoice check."""

    pre_renewal_check: timedelta | None = timedelta(days=90)
    """Ask the CSM "OK to send the renewal invoice?" this long before the renewal date;
    "" turns the check off."""
    steps: tuple[DunningStep, ...] = ()

    def due_steps(self, days_past_due: int) -> tuple[DunningStep, ...]:
        """Every step an invoice this late has reached, in ladder order."""
        return tuple(s for s in self.steps if s.days_past_due <= days_past_due)

    def highest_due(self, days_past_due: int) -> DunningStep | None:
        """The one step an invoice first seen this late gets (docs/dunning.md, *The ladder*)."""
        due = self.due_steps(days_past_due)
        return due[-1] if due else None


@dataclass(frozen=True)
class Signals:
    """What to watch in Slack for churn talk."""

    watch_channels: tuple[str, ...] = ()  # channel IDs whose messages are read
    phrases: tuple[str, ...] = ()  # matched case-insensitively at a word's start
    bots: tuple[str, ...] = ()  # bot IDs whose matching posts open a case directly

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


RENEWAL_CHECKPOINT = "renewal"
DEFAULT_SAVE_CHECKPOINTS: tuple[int | str, ...] = (90, 180, 365, RENEWAL_CHECKPOINT)


@dataclass(frozen=True)
class Reports:
    """When the revenue-at-risk report goes out, and the root-cause digest."""

    weekly: WeeklySchedule | None = WeeklySchedule(0, time(9, 0))
    """Day and local time of the weekly report in `channels.reports`; "" turns it off."""
    reason_digest: MonthlySchedule | None = None
    """Day (1st-28th) and time each root cause's owner gets last month's losses; "" or
    absent: off."""
    save_checkpoints: tuple[int | str, ...] = DEFAULT_SAVE_CHECKPOINTS
    """Days after a save when its owner is asked whether the account is still a customer,
    and "renewal" for the account's renewal date (docs/reports.md, *Did the save last?*)."""

    @property
    def checkpoint_days(self) -> tuple[int, ...]:
        """The day checkpoints, ascending: the report's saves-that-lasted horizons."""
        return tuple(sorted(d for d in self.save_checkpoints if isinstance(d, int)))


@dataclass(frozen=True)
class SurveyReason:
    """A root cause; `owner` (a channel ID or a person) hears about every loss with this cause."""

    key: str  # snake_case; answers store the key, so a label can be renamed
    label: str  # shown in the survey, up to 75 characters
    owner: str | None = None  # required in the file: a channel ID, a person or an @group
    hint: str | None = None  # optional, up to 75 characters, shown under the option


DEFAULT_ROUTING: tuple[RoutingRule, ...] = (
    RoutingRule(owner=OwnerRole.FINANCE, kinds=(Kind.PAYMENT_FAILED,)),
    RoutingRule(
        owner=OwnerRole.ACCOUNT_OWNER, kinds=(Kind.CANCELLATION, Kind.NON_RENEWAL, Kind.DOWNGRADE)
    ),
    RoutingRule(owner=OwnerRole.CSM),
)
DEFAULT_APPROVALS: tuple[ApprovalRule, ...] = (
    ApprovalRule(approver=NO_APPROVAL, max_discount_pct=Decimal(10), max_value=Decimal(5000)),
    ApprovalRule(approver="managers"),
)
DEFAULT_DUNNING_STEPS: tuple[DunningStep, ...] = (
    DunningStep(30, OwnerRole.CSM),
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
FALLBACK_OWNER = OwnerRole.CSM
FALLBACK_APPROVER = "managers"


def _empty_roles() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({name: () for name in ROLE_NAMES})


@dataclass(frozen=True)
class Policy:
    """The whole validated policy. `source` is the file it came from, None for defaults."""

    source: str | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    """Time zone of business hours, dunning days and schedules, e.g. "America/New_York"."""
    business_hours: tuple[time, time] | None = (time(9, 0), time(17, 0))
    """When nudges go out, "HH:MM-HH:MM" in `timezone`; "" nudges any time, any day."""
    business_days: frozenset[int] = frozenset(range(5))  # the days business hours apply
    currency: str = "USD"
    """ISO 4217 code (checked against the standard's list) new accounts get when their import
    does not say (CSV, HubSpot, a stub)."""
    channels: Channels = Channels()
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=_empty_roles)
    """Who holds each role: Slack user IDs, emails or @usergroup handles."""
    routing: tuple[RoutingRule, ...] = DEFAULT_ROUTING
    escalation: Escalation = Escalation()
    approvals: tuple[ApprovalRule, ...] = DEFAULT_APPROVALS
    move_on_confirm_above_arr: Decimal | None = DEFAULT_MOVE_ON_CONFIRM_ABOVE_ARR
    """Above this ARR a manager confirms **Move on** in the thread; "" for never."""
    dunning: Dunning = Dunning(steps=DEFAULT_DUNNING_STEPS)
    signals: Signals = Signals(phrases=DEFAULT_PHRASES)
    reports: Reports = Reports()
    survey_reasons: tuple[SurveyReason, ...] = DEFAULT_SURVEY_REASONS
    turnover: TurnoverPolicy = field(default_factory=TurnoverPolicy)
    outbound_webhooks: tuple[OutboundWebhook, ...] = ()
    people_rules: PeoplePolicy = field(default_factory=PeoplePolicy)
    """The `[people]` table: away statuses and the escalation clock."""

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

    # -- reporting (bot.policy.describe) -------------------------------------------------------

    def warnings(self) -> list[str]:
        """Things that are legal but probably not what the operator wants."""
        from bot.policy.describe import warnings

        return warnings(self)

    def problems(self) -> list[str]:
        """What stops Savedesk doing its job (`check` exits non-zero on each)."""
        from bot.policy.describe import problems

        return problems(self)

    def describe(self) -> str:
        """A readable summary for `python app.py check`."""
        from bot.policy.describe import describe

        return describe(self)
