"""The monthly digest per reason owner: last month's losses for the root causes they own.

Scheduled by `reports.reason_digest` ("1st 09:00", in the policy's timezone; off when
absent). A loss counts in the calendar month (policy timezone) the case churned in. Each
owner gets: per root cause the count and ARR lost, the accounts (linked to their threads,
largest ARR first) and the competitors named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.survey.policy import MonthlySchedule
from bot.survey.routing import Money, Reason
from storage.survey import CauseTotal, Loss

SECTION_MAX = 3000
"""A section block's text holds at most 3000 characters (Block Kit reference)."""
ACCOUNTS_SHOWN = 15


@dataclass(frozen=True)
class Month:
    """A calendar month in the policy's timezone, as a half-open UTC window."""

    first: date
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return f"{self.first:%B %Y}"

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"


def month_of(day: date, tz: ZoneInfo) -> Month:
    """The month containing `day`, its bounds at local midnight converted to UTC."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Month(first=first, start=_local_midnight(first, tz), end=_local_midnight(following, tz))


def previous_month(now: datetime, tz: ZoneInfo) -> Month:
    """The last complete month before `now` (UTC), in the policy's timezone."""
    this_month = now.astimezone(tz).date().replace(day=1)
    return month_of(this_month - timedelta(days=1), tz)


def next_run(schedule: MonthlySchedule, after: datetime, tz: ZoneInfo) -> datetime:
    """The first digest time strictly after `after` (UTC in, UTC out)."""
    local = after.astimezone(tz)
    first = local.date().replace(day=1)
    for _ in range(2):
        candidate = datetime.combine(first.replace(day=schedule.day), schedule.at, tzinfo=tz)
        if candidate.astimezone(UTC) > after:
            return candidate.astimezone(UTC)
        first = (first + timedelta(days=32)).replace(day=1)
    raise AssertionError("unreachable: next month always has the scheduled day")


def owners(reasons: Sequence[Reason]) -> dict[str, tuple[Reason, ...]]:
    """Each owner and the root causes they own, in policy order."""
    found: dict[str, list[Reason]] = {}
    for reason in reasons:
        if reason.owner:
            found.setdefault(reason.owner, []).append(reason)
    return {owner: tuple(owned) for owner, owned in found.items()}


@dataclass(frozen=True)
class DigestFacts:
    """One owner's month: totals per cause and currency, each loss, competitors counted."""

    month: Month
    reasons: tuple[Reason, ...]
    totals: Sequence[CauseTotal]
    losses: Sequence[Loss]
    competitors: Sequence[tuple[str, int]]


def digest_sections(facts: DigestFacts, money: Money, esc: Callable[[str], str]) -> list[str]:
    """The digest as mrkdwn sections (each within Slack's 3000 characters): a headline,
    one section per owned root cause, and the competitors named."""
    count = sum(t.count for t in facts.totals)
    head = f":bar_chart: *Losses in {facts.month.label}* for {_names(facts.reasons, esc)}"
    if count == 0:
        return [f"{head}\nNo losses with these root causes last month."]
    sections = [f"{head}\n*{count}* lost, ARR {_arr(facts.totals, money)}"]
    for reason in facts.reasons:
        totals = [t for t in facts.totals if t.root_cause == reason.key]
        if not totals:
            continue
        lost = [loss for loss in facts.losses if loss.root_cause == reason.key]
        lines = [
            f"*{esc(reason.label)}*: {sum(t.count for t in totals)} lost, ARR {_arr(totals, money)}"
        ]
        lines += [_account_line(loss, money, esc) for loss in lost[:ACCOUNTS_SHOWN]]
        if len(lost) > ACCOUNTS_SHOWN:
            lines.append(f"…and {len(lost) - ACCOUNTS_SHOWN} more")
        sections.append(_fit("\n".join(lines)))
    named = ", ".join(f"{esc(name)} ({n})" for name, n in facts.competitors)
    sections.append(_fit(f"*Competitors named:* {named or '_none_'}"))
    return sections


def _account_line(loss: Loss, money: Money, esc: Callable[[str], str]) -> str:
    name = esc(loss.account_name)
    account = f"<{loss.permalink}|{name}>" if loss.permalink else name
    extra = f", to {esc(loss.competitor)}" if loss.competitor else ""
    return f"• {account}: {money(loss.arr_lost, loss.currency)}{extra}"


def _arr(totals: Sequence[CauseTotal], money: Money) -> str:
    by_currency: dict[str, Decimal] = {}
    for total in totals:
        by_currency[total.currency] = by_currency.get(total.currency, Decimal(0)) + total.arr
    return " + ".join(money(amount, currency) for currency, amount in sorted(by_currency.items()))


def _names(reasons: Sequence[Reason], esc: Callable[[str], str]) -> str:
    return ", ".join(esc(r.label) for r in reasons)


def _fit(text: str) -> str:
    return text if len(text) <= SECTION_MAX else text[: SECTION_MAX - 1] + "…"


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
