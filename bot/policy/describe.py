"""The policy in words: `python app.py check`'s summary and the warnings it prints.

Warnings are things that are legal but probably not what the operator wants (a role nobody
holds, a channel not set); they never stop start-up. Problems are what leaves Savedesk
unable to do its job at all (no cases channel); `check` exits non-zero on them.
"""

from __future__ import annotations

import json

from bot.common.durations import format_duration
from bot.hours.policy import describe_people_policy
from bot.policy.models import (
    DAY_NAMES,
    FALLBACK_APPROVER,
    FALLBACK_OWNER,
    OWNER_ROLE_PEOPLE,
    ROLE_NAMES,
    Policy,
    _fmt_amount,
)
from bot.turnover.policy import describe_turnover_policy


def problems(policy: Policy) -> list[str]:
    """What stops Savedesk doing its job: without a cases channel no case is ever posted."""
    found: list[str] = []
    if policy.channels.cases is None:
        found.append(
            "channels.cases is not set: case threads cannot be posted (set [channels] cases = "
            '"C…", the ID in the channel\'s details)'
        )
    return found


def warnings(policy: Policy) -> list[str]:
    """Things that are legal but probably not what the operator wants."""
    notes: list[str] = []
    if not policy.roles.get("managers"):
        notes.append("roles.managers is empty: escalations have nobody to reach")
    for i, rule in enumerate(policy.routing):
        role = OWNER_ROLE_PEOPLE.get(rule.owner)
        if role and not policy.roles.get(role):
            notes.append(
                f"routing[{i}] sends cases to {rule.owner} but roles.{role} is empty: "
                "nobody can own them"
            )
    for i, approval in enumerate(policy.approvals):
        if approval.approver in ROLE_NAMES and not policy.roles.get(approval.approver):
            notes.append(
                f"offers.approval[{i}] needs {approval.approver} but roles.{approval.approver}"
                " is empty: those offers cannot be approved"
            )
    for i, step in enumerate(policy.dunning.steps):
        if step.notify in ROLE_NAMES and not policy.roles.get(step.notify):
            notes.append(
                f"dunning.steps[{i}] notifies {step.notify} but roles.{step.notify} is empty:"
                f" nobody hears about invoices {step.days_past_due} days past due"
            )
    if policy.channels.finance is None and (
        policy.dunning.steps or policy.dunning.pre_renewal_check
    ):
        notes.append(
            "channels.finance is not set: dunning lines and renewal answers have no channel"
        )
    if policy.reports.weekly is not None and policy.channels.reports is None:
        notes.append("channels.reports is not set: the weekly report cannot be posted")
    if policy.channels.sales is None:
        notes.append("channels.sales is not set: leads from departed champions are not posted")
    if not any(r.owner for r in policy.survey_reasons):
        notes.append(
            "survey.reasons is not set: the built-in root causes have no owners, so no "
            "function hears about losses"
        )
    if policy.signals.bots and not policy.signals.watch_channels:
        notes.append("signals.bots is set but signals.watch_channels is empty: nothing is read")
    esc = policy.escalation
    if esc.escalate_after <= esc.acknowledge_within:
        notes.append(
            f"escalation.escalate_after ({format_duration(esc.escalate_after)}) is not after "
            f"acknowledge_within ({format_duration(esc.acknowledge_within)}): managers are "
            "brought in before the owner is nudged"
        )
    return notes


def describe(policy: Policy) -> str:
    """A readable summary for `python app.py check`."""
    lines = [f"Policy: {policy.source or 'no policy file: built-in defaults'}"]
    lines.append(f"Calendar: {_describe_calendar(policy)}")
    lines.append(f"Currency: {policy.currency} (accounts imported without one)")
    lines += _describe_channels_and_roles(policy)
    lines.append(f"Routing (first match wins; no match -> {FALLBACK_OWNER}):")
    lines += [f"  {i}. {rule.describe()}" for i, rule in enumerate(policy.routing, 1)]
    esc = policy.escalation
    lines.append(
        f"Escalation: nudge the owner after {format_duration(esc.acknowledge_within)}, "
        f"bring in managers after {format_duration(esc.escalate_after)}, "
        f"repeat every {format_duration(esc.repeat_every)}; "
        f"stale after {format_duration(esc.stale_after)} without an update"
    )
    lines.append(f"Offer approvals (first match wins; no match -> {FALLBACK_APPROVER}):")
    lines += [f"  {i}. {rule.describe()}" for i, rule in enumerate(policy.approvals, 1)]
    if policy.move_on_confirm_above_arr is None:
        lines.append("Move on: never needs a manager's confirmation")
    else:
        amount = _fmt_amount(policy.move_on_confirm_above_arr)
        lines.append(f"Move on: a manager confirms above ARR {amount}")
    lines += _describe_dunning(policy)
    lines += _describe_signals(policy)
    weekly = policy.reports.weekly
    target = policy.channels.reports or "(no channel)"
    lines.append(f"Weekly report: {f'{weekly} -> {target}' if weekly else 'off'}")
    digest = policy.reports.reason_digest
    lines.append(f"Reason digest: {f'{digest} -> each root cause owner' if digest else 'off'}")
    points = ", ".join(
        f"{p} days" if isinstance(p, int) else "the renewal date"
        for p in policy.reports.save_checkpoints
    )
    lines.append(f"Save check-ins: {points or 'off'}")
    lines.append("Survey root causes (key: label -> owner):")
    for reason in policy.survey_reasons:
        owner = f" -> {reason.owner}" if reason.owner else " -> (nobody is told)"
        hint = f"  ({reason.hint})" if reason.hint else ""
        lines.append(f"  {reason.key}: {reason.label}{owner}{hint}")
    lines += describe_turnover_policy(policy.turnover)
    lines += describe_people_policy(policy.people_rules)
    hooks = policy.outbound_webhooks
    lines.append("Outbound webhooks:" + ("" if hooks else " (none)"))
    lines += [f"  {hook.describe()}" for hook in hooks]
    return "\n".join(lines)


def _describe_calendar(policy: Policy) -> str:
    if policy.business_hours is None:
        return f"{policy.timezone.key}, business calendar off (nudges at any time)"
    start, end = policy.business_hours
    days = ", ".join(DAY_NAMES[d] for d in sorted(policy.business_days))
    return f"{policy.timezone.key}, {start:%H:%M}-{end:%H:%M} on {days}"


def _describe_channels_and_roles(policy: Policy) -> list[str]:
    channels = policy.channels
    pairs = [
        ("cases", channels.cases),
        ("finance", channels.finance),
        ("reports", channels.reports),
        ("sales", channels.sales),
    ]
    lines = ["Channels: " + ", ".join(f"{name} {cid or '(not set)'}" for name, cid in pairs)]
    lines.append("Roles:")
    for name in ROLE_NAMES:
        lines.append(f"  {name}: {', '.join(policy.roles.get(name, ())) or '(nobody)'}")
    return lines


def _describe_dunning(policy: Policy) -> list[str]:
    check = policy.dunning.pre_renewal_check
    when = f"{format_duration(check)} before renewal" if check else "off"
    lines = [f"Dunning: pre-renewal invoice check {when}"]
    for step in policy.dunning.steps:
        lines.append(f"  {step.days_past_due} days past due -> {step.notify}")
    return lines


def _describe_signals(policy: Policy) -> list[str]:
    signals = policy.signals
    phrases = ", ".join(json.dumps(p, ensure_ascii=False) for p in signals.phrases)
    return [
        f"Watched channels: {', '.join(signals.watch_channels) or '(none)'}",
        f"  phrases: {phrases or '(none)'}",
        f"  integration bots: {', '.join(signals.bots) or '(none)'}",
    ]
