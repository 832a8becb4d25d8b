"""Who hears about an answered survey: the function that owns its root cause, and only it.

A reason's `owner` (policy `[[survey.reasons]]`) is a channel, which gets a post, or a
person or @group, each of whom gets a DM. An owner with nobody behind it (a group emptied,
an email Slack no longer knows) falls back to the managers, so a loss is never told to no
one; a reason without an owner (the built-in taxonomy) tells no one, and `check` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from bot.survey.policy import owner_is_channel

Money = Callable[[Decimal | None, str], str]


class Reason(Protocol):
    """A policy root cause (the policy's `SurveyReason` or a `ReasonSpec`)."""

    @property
    def key(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def owner(self) -> str | None: ...


@dataclass(frozen=True)
class OwnerTarget:
    """Where the owner notice goes: a channel post, DMs to people, or both empty (nobody)."""

    owner: str
    channel: str | None = None
    users: tuple[str, ...] = ()
    fallback: bool = False


def owner_target(
    reason: Reason | None,
    resolve: Callable[[str], tuple[str, ...]],
    managers: tuple[str, ...],
) -> OwnerTarget | None:
    """The one place the notice goes; None when the reason has no owner.

    `resolve` turns a person or @group reference into user IDs (the team's cache, so no
    Slack call happens here); `managers` are the fallback when it finds nobody.
    """
    if reason is None or not reason.owner:
        return None
    if owner_is_channel(reason.owner):
        return OwnerTarget(owner=reason.owner, channel=reason.owner)
    users = resolve(reason.owner)
    if users:
        return OwnerTarget(owner=reason.owner, users=tuple(users))
    return OwnerTarget(owner=reason.owner, users=managers, fallback=True)


@dataclass(frozen=True)
class LossFacts:
    """What the reason owner is told about one loss (ARR in the account's currency)."""

    case_id: int
    account_name: str
    currency: str
    arr_lost: Decimal | None
    root_cause_label: str
    stated_reason: str | None
    competitor: str | None
    controllable: bool
    involuntary: bool
    permalink: str | None


def owner_notice(
    facts: LossFacts, target: OwnerTarget, money: Money, esc: Callable[[str], str]
) -> str:
    """The notice in mrkdwn: account, ARR lost, root cause, stated reason, competitor,
    controllable, and a link to the case thread (docs/survey.md)."""
    link = (
        f"<{facts.permalink}|case #{facts.case_id}>"
        if facts.permalink
        else f"case #{facts.case_id}"
    )
    lines = [
        f":clipboard: *Lost: {esc(facts.account_name)}* ({link}), ARR lost "
        f"{money(facts.arr_lost, facts.currency)}",
        f"*Root cause:* {esc(facts.root_cause_label)}",
        f"*Stated reason:* {_quoted(facts.stated_reason, esc)}",
        f"*Competitor:* {esc(facts.competitor) if facts.competitor else '_none named_'}",
        f"*Controllable:* {'yes' if facts.controllable else 'no'}",
    ]
    if facts.involuntary:
        lines.append("_Involuntary churn: the subscription ended after a failed payment._")
    if target.fallback:
        lines.append(
            f"_You get this because nobody could be found behind `{esc(target.owner)}`, "
            "the owner of this root cause in the policy._"
        )
    return "\n".join(lines)


def _quoted(text: str | None, esc: Callable[[str], str]) -> str:
    if not text:
        return "_not given_"
    flat = " ".join(text.split())
    return f"“{esc(flat[:500])}{'…' if len(flat) > 500 else ''}”"
