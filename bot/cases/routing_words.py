"""The case thread's first line: who opened the case, and the routing rule that chose its
owner in words (docs/cases.md, *Routing*), never the policy's keys."""

from __future__ import annotations

from bot.cases.words import kind_label
from bot.common.formatting import money
from bot.common.text import esc, who
from bot.policy import OwnerRole, RoutingRule
from storage.models import Case


def opened_line(
    case: Case, currency: str, actor: str | None, source: str, rule: RoutingRule | None
) -> str:
    """The first timeline line: who opened it from where, the ARR at risk, who owns it and
    which routing rule chose them, in words (docs/cases.md, *Routing*)."""
    by = f" by {who(actor)}" if actor else ""
    arr = case.arr_at_risk
    at_risk = f", {money(arr, currency)} ARR at risk" if arr is not None else ""
    return (
        f"Case opened{by} from {esc(source)}{at_risk}; owner {who(case.owner)} "
        f"({routing_words(rule, currency)})."
    )


ROLE_WORDS = {
    OwnerRole.CSM: "the account's CSM",
    OwnerRole.ACCOUNT_OWNER: "the account executive",
    OwnerRole.SAVE_DESK: "the save desk",
    OwnerRole.MANAGER: "a manager",
    OwnerRole.FINANCE: "finance",
}


def routing_words(rule: RoutingRule | None, currency: str) -> str:
    """ "routed to the save desk: cancellation or non-renewal, ARR $50,000 or more": the
    rule's owner and conditions as a person reads them (no policy keys)."""
    if rule is None:
        return "routed to the account's CSM: no routing rule matched"
    named = who(rule.owner) if rule.owner[:1] in "UW" and rule.owner.isalnum() else None
    to = ROLE_WORDS.get(rule.owner) or named or f"`{esc(rule.owner)}`"
    parts = []
    if rule.kinds:
        parts.append(" or ".join(kind_label(k).lower() for k in rule.kinds))
    if rule.min_arr is not None and rule.max_arr is not None:
        low, high = money(rule.min_arr, currency), money(rule.max_arr, currency)
        parts.append(f"ARR {low} to {high}")
    elif rule.min_arr is not None:
        parts.append(f"ARR {money(rule.min_arr, currency)} or more")
    elif rule.max_arr is not None:
        parts.append(f"ARR {money(rule.max_arr, currency)} or less")
    if rule.segments:
        parts.append("segment " + " or ".join(esc(s) for s in rule.segments))
    return f"routed to {to}: " + (", ".join(parts) if parts else "every case")
