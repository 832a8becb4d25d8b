"""The action plan of a main-contact turnover, derived from the answers (docs/turnover.md).

Pure rules, no storage and no Slack: `derive_plan` turns answers (plus the policy's
`[[turnover.plans]]` and the account's ARR and segment) into steps with stable keys;
`rederive` merges a new derivation into an existing plan so that a done step stays done;
`risk_level`, `percent_complete` and `time_at_risk` are the numbers the case shows.

The built-in steps (docs/turnover.md, *The action plan*): no other contact →
reach the champion's boss or HR; learned after they left → capture what the remaining
contacts know; role being replaced → interim plan until the hire; merged → interim plan and
an ongoing plan with whoever absorbs the role; customer leaving the space → offboard well
and look for other uses; internal replacement → light onboarding and capture the value so
far; external replacement → full onboarding, tailored against the competitor they used;
another company → send the lead to sales.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from bot.common.vocab import RiskLevel
from bot.turnover.answers import Answers, Coverage, Destination, Learned, Replacement, RoleFate
from bot.turnover.policy import ASSIGNEE_ROLES, TurnoverPolicy


@dataclass(frozen=True)
class StepSpec:
    """A step the rules ask for: `key` identifies it across re-derivations."""

    key: str
    text: str
    assignee: str | None = None


@dataclass(frozen=True)
class StepState:
    """A step as the plan holds it (a `plan_steps` row without its ids); times are UTC."""

    key: str
    text: str
    assignee: str | None = None
    done: bool = False
    done_by: str | None = None
    done_at: datetime | None = None
    position: int = 0


@dataclass(frozen=True)
class PlanContext:
    """What the policy's entries match on, and who the assignee roles are for this case.

    `arr` is the account's ARR in its own currency (None when unknown); `people` maps
    owner / csm / account_owner to Slack user IDs (or None when nobody holds the role).
    """

    arr: Decimal | None = None
    segment: str | None = None
    people: Mapping[str, str | None] = field(default_factory=dict)


def _timing(a: Answers) -> list[StepSpec]:
    if a.learned_timing is Learned.BEFORE_LEFT:
        text = f"Ask {a.contact_name} for a handover and an introduction before they leave"
        return [StepSpec("handover_intro", text)]
    if a.coverage is Coverage.NO_OTHER_CONTACT:  # nobody remains to ask (docs/turnover.md)
        return []
    return [StepSpec("capture_known", "Capture what is known from the remaining contacts")]


def _coverage(a: Answers) -> list[StepSpec]:
    if a.coverage is Coverage.NO_OTHER_CONTACT:
        text = f"Reach {a.contact_name}'s boss, or HR / the main number"
        return [StepSpec("reach_boss_or_hr", text)]
    return []


def _role(a: Answers) -> list[StepSpec]:
    if a.role_fate is RoleFate.REPLACED:
        return [StepSpec("interim_plan", "Agree an interim plan until the replacement is hired")]
    if a.role_fate is RoleFate.MERGED:
        return [
            StepSpec("interim_plan", "Agree an interim plan while the role is merged"),
            StepSpec("ongoing_plan", "Agree an ongoing plan with the person who absorbs the role"),
        ]
    return [
        StepSpec("offboard_well", "Offboard well: wind down the use they are leaving cleanly"),
        StepSpec("other_uses", "Look for other uses of the product (extend the relationship)"),
    ]


def _replacement(a: Answers) -> list[StepSpec]:
    if a.replacement is Replacement.UNKNOWN:
        if a.role_fate is RoleFate.LEAVING_SPACE:
            return []
        text = f"Find out who takes over {a.contact_name}'s role, then update the turnover"
        return [StepSpec("identify_replacement", text)]
    if a.replacement is Replacement.INTERNAL:
        return [
            StepSpec("light_onboarding", "Light onboarding for the internal replacement"),
            StepSpec("capture_value", "Capture the value the product has delivered so far"),
        ]
    if a.replacement is Replacement.EXTERNAL_NEW:
        text = "Full onboarding for the replacement (new to this kind of product)"
        return [StepSpec("full_onboarding", text)]
    against = a.competitor or "the competitor they used"
    text = f"Full onboarding tailored against {against}"
    return [StepSpec("onboarding_vs_competitor", text)]


def _destination(a: Answers) -> list[StepSpec]:
    if a.destination is Destination.ANOTHER_COMPANY:
        where = a.new_company or "their new company"
        return [StepSpec("send_lead", f"Send the lead to sales: {a.contact_name} at {where}")]
    if a.destination is Destination.ANOTHER_ROLE:
        text = f"Keep {a.contact_name} as an ally in their new role"
        return [StepSpec("keep_in_touch", text)]
    return []


BUILT_IN_RULES: tuple[Callable[[Answers], list[StepSpec]], ...] = (
    _coverage,
    _timing,
    _role,
    _replacement,
    _destination,
)
"""The playbook's rules, in the order their steps appear in the plan."""


def derive_plan(
    answers: Answers, policy: TurnoverPolicy, context: PlanContext
) -> tuple[StepSpec, ...]:
    """The plan for these answers: built-in steps, then the policy's matching extra steps.

    Keys are unique; a policy assignee role (owner, csm, account_owner) becomes the person
    holding it in `context.people`, or None when nobody does.
    """
    clean = answers.normalized()
    steps = [step for rule in BUILT_IN_RULES for step in rule(clean)]
    for extra in policy.extra_steps(clean, context.arr, context.segment):
        assignee = extra.assignee
        if assignee in ASSIGNEE_ROLES:
            assignee = context.people.get(assignee)
        steps.append(StepSpec(extra.key, extra.text, assignee))
    return tuple(steps)


def new_plan(derived: Sequence[StepSpec]) -> list[StepState]:
    """A fresh plan: every derived step, not done, numbered in order."""
    return rederive((), derived)


def rederive(existing: Sequence[StepState], derived: Sequence[StepSpec]) -> list[StepState]:
    """The plan after the answers changed, keeping what people did.

    A done step stays done (matched by key), with its text and its done_by / done_at; if
    the new answers no longer ask for it, it stays as a record, listed first. A step that is
    not done takes the new text, or disappears when no longer asked for. An assignee someone
    chose is kept. Positions are renumbered from 0.
    """
    by_key = {step.key: step for step in existing}
    wanted = {spec.key for spec in derived}
    kept = [step for step in existing if step.done and step.key not in wanted]
    merged: list[StepState] = sorted(kept, key=lambda step: step.position)
    for spec in derived:
        old = by_key.get(spec.key)
        if old is None:
            merged.append(StepState(spec.key, spec.text, spec.assignee))
        elif old.done:
            merged.append(old)
        else:
            merged.append(replace(old, text=spec.text, assignee=old.assignee or spec.assignee))
    return [replace(step, position=i) for i, step in enumerate(merged)]


def percent_complete(done: int, total: int) -> int:
    """Done steps ÷ steps as a whole percentage, rounded down so 100 means all done.

    An empty plan is 100% complete (nothing is left to do). Raises ValueError when the
    counts are negative or more steps are done than exist.
    """
    if done < 0 or total < 0 or done > total:
        raise ValueError(f"impossible progress: {done} of {total} steps")
    return 100 if total == 0 else done * 100 // total


def plan_progress(steps: Sequence[StepState]) -> int:
    """`percent_complete` of a plan."""
    return percent_complete(sum(1 for step in steps if step.done), len(steps))


def risk_level(answers: Answers) -> str:
    """`high` when nobody else knows us or the customer is leaving the space, else `medium`.

    docs/turnover.md; the owner may still change the case's risk level afterwards.
    """
    if answers.coverage is Coverage.NO_OTHER_CONTACT:
        return RiskLevel.HIGH
    if answers.role_fate is RoleFate.LEAVING_SPACE:
        return RiskLevel.HIGH
    return RiskLevel.MEDIUM


def combined_risk(levels: Sequence[str]) -> str:
    """The case's risk when several contacts left: the highest of their levels."""
    return RiskLevel.HIGH if RiskLevel.HIGH in levels else RiskLevel.MEDIUM


def time_at_risk(learned_at: datetime, ended_at: datetime) -> timedelta:
    """How long the account was at risk: from when we learned to when the plan's last step
    was done or the case closed (UTC times); never negative."""
    return max(ended_at - learned_at, timedelta(0))
