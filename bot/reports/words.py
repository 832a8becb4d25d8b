"""How the report says things to people: the words (money itself: `bot.common.formatting`,
one currency table; percentages (60%), durations ("46 h", "1 month": `duration`, the one
way the report writes a duration), the risk kinds in a sentence),
then the whole report as words: plain text for the terminal, and the lines (mrkdwn-safe)
that the Slack post and App Home are built from (slack_edge/report_messages.py). Figures
only, already computed; nothing here queries the database."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.common.formatting import CURRENCY_SIGNS
from bot.common.formatting import cents as cur_cents
from bot.common.formatting import whole_money as money
from bot.common.vocab import Kind
from bot.reports.models import ZERO, Figures, LadderLine, Ranked, Report

# "we saved 2 customers from <risk>" / "12 customers at risk for that reason"
RISK_PHRASES = {
    Kind.CANCELLATION: "cancellation",
    Kind.NON_RENEWAL: "non-renewal",
    Kind.DOWNGRADE: "downgrade risk",
    Kind.CONTACT_LEFT: "main-contact-turnover risk",
    Kind.USAGE_DROP: "usage-drop risk",
    Kind.BUDGET_CUT: "budget-cut risk",
    Kind.COMPETITOR: "competitor risk",
    Kind.NEGATIVE_FEEDBACK: "negative-feedback risk",
    Kind.OTHER: "other risks",
}
# short labels (chart axis, CSV, tables)
KIND_LABELS = {
    Kind.CANCELLATION: "Cancellation",
    Kind.NON_RENEWAL: "Non-renewal",
    Kind.DOWNGRADE: "Downgrade",
    Kind.CONTACT_LEFT: "Main-contact turnover",
    Kind.USAGE_DROP: "Usage drop",
    Kind.BUDGET_CUT: "Budget cut",
    Kind.COMPETITOR: "Competitor",
    Kind.NEGATIVE_FEEDBACK: "Negative feedback",
    Kind.OTHER: "Other",
    Kind.PAYMENT_FAILED: "Payment failed",
}
PERIOD_WORDS = {
    "week": "last week",
    "month": "in the last 30 days",
    "quarter": "in the last 90 days",
}


def risk_phrase(kind: str) -> str:
    return RISK_PHRASES.get(kind, f"{kind.replace('_', ' ')} risk")


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def short_money(amount: float, currency: str = "USD") -> str:
    """Axis ticks: $250k, $1.2M."""
    sign = CURRENCY_SIGNS.get(currency, "")
    suffix = "" if sign else f" {currency}"
    value = abs(amount)
    if value >= 1_000_000:
        text = f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    elif value >= 1_000:
        text = f"{value / 1_000:.0f}k"
    else:
        text = f"{value:.0f}"
    return f"{'-' if amount < 0 else ''}{sign}{text}{suffix}"


def percent(fraction: float) -> str:
    """60%; rounded half up to a whole percent."""
    return f"{Decimal(str(fraction * 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def duration(delta: timedelta) -> str:
    """Every duration of the report, written one way (docs/reports.md, *Durations*):
    minutes under an hour ("45 min"), hours under two days ("46 h"), days under two weeks
    ("3 days"), weeks under four ("2 weeks"), then months of 30 days ("3 months"); each
    rounded half up to a whole unit (at least 1 min), and a unit rounded up to the next
    threshold is written in the next unit (59.6 min: "1 h")."""
    seconds = max(delta.total_seconds(), 0.0)
    minutes = _half_up(seconds / 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours = _half_up(seconds / 3600)
    if hours < 48:
        return f"{hours} h"
    days = _half_up(seconds / 86400)
    if days < 14:
        return plural(days, "day")
    if days < 28:
        return plural(_half_up(seconds / (7 * 86400)), "week")
    return plural(_half_up(seconds / (30 * 86400)), "month")


def _half_up(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def change(now: object, before: object, shown: str) -> str:
    """The trend beside a figure (docs/reports.md, *Trend*): " (up from 41%)", " (down from
    $30,000)", " (unchanged)", or "" when there is no previous figure; `shown` is the
    previous figure as words. Numbers, Decimals and timedeltas compare as themselves."""
    if before is None:
        return ""
    if now == before:
        return " (unchanged)"
    return f" ({'up' if now > before else 'down'} from {shown})"  # type: ignore[operator]


# -- the whole report as words -----------------------------------------------------------

PERIOD_DAYS = {"week": 7, "month": 30, "quarter": 90}

TITLES = {"week": "Revenue at risk: the last 7 days", "month": "Revenue at risk: the last 30 days"}
TITLES["quarter"] = "Revenue at risk: the last 90 days"


def title(report: Report) -> str:
    """ "Revenue at risk: the last 7 days (to 2026-12-08 21:57 EST)": the period's end in the
    policy's timezone, which reports use (policy.example.toml, `timezone`)."""
    return f"{TITLES[report.period]} (to {local(report.end, report.timezone):%Y-%m-%d %H:%M %Z})"


def local(at: datetime, timezone: str) -> datetime:
    """A UTC time in the IANA `timezone` (an unknown name falls back to UTC)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return at.astimezone(zone)


def figure_line(f: Figures, cur: str, before: Figures | None = None) -> str:
    """Every figure of one kind (or overall) on one line, each with the previous period's
    beside it when `before` is given (docs/reports.md, *Trend*)."""

    def was(text: str) -> str:
        return "" if before is None else f" (before: {text})"

    b = before or Figures()
    rate = percent(f.save_rate) if f.save_rate is not None else "n/a"
    parts = [
        f"at risk {f.open} worth {money(f.arr_at_risk, cur)} "
        f"(saveable {money(f.arr_saveable, cur)}, high risk {money(f.arr_high_risk, cur)})"
        + was(f"{b.open} worth {money(b.arr_at_risk, cur)}, saveable "
              f"{money(b.arr_saveable, cur)}, high risk {money(b.arr_high_risk, cur)}"),
        f"saved {f.saved} worth {money(f.arr_saved, cur)}"
        + was(f"{b.saved} worth {money(b.arr_saved, cur)}"),
        f"churned {f.churned} worth {money(f.arr_churned, cur)}" + _involuntary(f, cur)
        + was(f"{b.churned} worth {money(b.arr_churned, cur)}"),
        f"moved on {f.moved_on} worth {money(f.arr_moved_on, cur)}"
        + was(f"{b.moved_on} worth {money(b.arr_moved_on, cur)}"),
        f"save rate {rate}"
        + was(percent(b.save_rate) if b.save_rate is not None else "n/a"),
    ]  # fmt: skip
    if f.average_time_at_risk is not None:
        age = b.average_time_at_risk
        parts.append(
            f"average time at risk {duration(f.average_time_at_risk)}"
            + was(duration(age) if age is not None else "none open")
        )
    if f.plan_complete is not None:
        parts.append(f"plans {percent(f.plan_complete)} complete ({f.plan_done}/{f.plan_steps})")
    return "; ".join(parts)


def before_of(report: Report, kind: str | None = None) -> Figures | None:
    """The previous period's figures of `kind` (None: overall); None without a trend."""
    if report.previous is None:
        return None
    return report.previous.overall if kind is None else report.previous.kind(kind)


def _involuntary(f: Figures, cur: str) -> str:
    if f.involuntary is None or not f.churned:
        return ""
    return (
        f" ({f.voluntary} voluntary, {f.involuntary} involuntary worth "
        f"{money(f.arr_involuntary or 0, cur)})"
    )


def ranked_line(items: tuple[Ranked, ...], cur: str) -> str:
    """Top root causes or competitors; names people typed are escaped for mrkdwn."""
    return ", ".join(f"{_esc(r.label)} ({r.count}, {money(r.arr, cur)})" for r in items)


def top_line(report: Report, which: str) -> str | None:
    """The top root causes (`which` "root_causes") or competitors ("competitors") of all
    kinds, then the previous period's top list beside them (docs/reports.md, *Trend*):
    "Price (3, $30,000) (before: Price (1, $10,000))"; None when neither period has one."""
    cur, now = report.currency, getattr(report.overall, which)
    was = None if report.previous is None else getattr(report.previous.overall, which)
    if not now and not was:
        return None
    text = ranked_line(now, cur) if now else "none"
    if report.previous is not None:
        text += f" (before: {ranked_line(was, cur) if was else 'none'})"
    return text


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payment_line(report: Report) -> str:
    """The payment track on its own line: open delinquent cases, overdue by ladder step,
    each beside the previous period's as it ended (docs/reports.md, *Trend*): "1 open
    delinquent case (down from 2) worth $15,000 in ARR (down from $22,000); overdue $3,700
    (up from $2,000): $700 before the first step (1) (up from none), …"."""
    p, cur = report.payment, report.currency
    b = None if report.previous is None else report.previous.payment
    line = (
        f"{plural(p.open, 'open delinquent case')}"
        + ("" if b is None else change(p.open, b.open, str(b.open)))
        + f" worth {money(p.arr_at_risk, cur)} in ARR"
        + ("" if b is None else change(p.arr_at_risk, b.arr_at_risk, money(b.arr_at_risk, cur)))
    )
    if p.ladder is None:
        return line + " (invoices are not recorded)"
    was = None if b is None else b.ladder
    before = None if b is None else b.overdue  # None: invoices were not recorded then
    trend = "" if before is None else change(p.overdue, before, money(before, cur))
    if not p.ladder:
        return f"{line}; no invoice is overdue{trend}"
    now = {s.days_past_due: s for s in p.ladder}
    then = {s.days_past_due: s for s in was or ()}
    steps = ", ".join(
        _step(now.get(days, LadderLine(days, 0, ZERO)), then.get(days), was is not None, cur)
        for days in sorted(set(now) | set(then))
    )
    return f"{line}; overdue {money(p.overdue or 0, cur)}{trend}: {steps}"


def _step(s: LadderLine, before: LadderLine | None, trend: bool, cur: str) -> str:
    """ "$3,000 at 30+ days past due (2) (up from $1,000 (1))": one ladder step, and (with
    `trend`) the previous period's amount and invoices at that step."""
    where = f"at {s.days_past_due}+ days past due" if s.days_past_due else "before the first step"
    text = f"{money(s.amount, cur)} {where} ({s.invoices})"
    if not trend:
        return text
    b = before or LadderLine(s.days_past_due, 0, ZERO)
    shown = f"{money(b.amount, cur)} ({b.invoices})" if b.invoices else "none"
    return text + change((s.amount, s.invoices), (b.amount, b.invoices), shown)


def lasted_line(report: Report) -> str | None:
    """Saves that lasted, one clause per checkpoint: "90 days: of 12 saves worth $340,000
    (7 days that ended 90 days ago), 10 are still customers worth $300,000 now, 1 churned,
    1 not yet answered"; None when check-ins are not stored or no checkpoint is set."""
    if not report.lasted:
        return None
    cur, span = report.currency, PERIOD_DAYS[report.period]
    clauses = []
    for c in report.lasted:
        if not c.saves:
            clauses.append(f"{c.days} days: no save in the {span} days that ended then")
            continue
        text = (
            f"{c.days} days: of {plural(c.saves, 'save')} worth {money(c.arr_saved, cur)} "
            f"({span} days that ended {c.days} days ago), {c.still} still "
            f"{'customers' if c.still != 1 else 'a customer'} worth {money(c.arr_still, cur)}"
            f" now, {c.churned} churned"
        )
        if c.unanswered:
            text += f", {c.unanswered} not yet answered"
        clauses.append(text + _lasted_before(report, c.days))
    return "; ".join(clauses)


def _lasted_before(report: Report, days: int) -> str:
    """ " (before: 8 of 10 still)": the previous period's saves at the same checkpoint."""
    lines = [] if report.previous is None else report.previous.lasted or []
    line = next((c for c in lines if c.days == days), None)
    if line is None:
        return ""
    return f" (before: {line.still} of {line.saves} still)"


def net_line(report: Report) -> str | None:
    """ARR saved net of concessions and the cost per dollar saved; None if not computed."""
    net, cur = report.net_saved, report.currency
    if net is None or report.arr_kept is None or report.concessions is None:
        return None
    text = (
        f"{money(net, cur)} ({money(report.arr_kept, cur)} the saves still bring in, less "
        f"{money(report.concessions, cur)} of concessions)"
    )
    per_dollar = report.cost_per_dollar
    if per_dollar is not None:
        text += f"; concessions cost {cur_cents(per_dollar, cur)} per dollar saved"
    before = report.previous
    if before is not None and before.net_saved is not None:
        text += f" (before: {money(before.net_saved, cur)}"
        if before.cost_per_dollar is not None:
            text += f", {cur_cents(before.cost_per_dollar, cur)} per dollar"
        text += ")"
    return text


def trust_lines(report: Report) -> list[tuple[str, str]]:
    """(label, line) of the figures beside the save rate: net of concessions, and saves
    that lasted (docs/reports.md, *Did the save last?*)."""
    lines = []
    net = net_line(report)
    if net is not None:
        lines.append(("ARR saved net of concessions", net))
    lasted = lasted_line(report)
    if lasted is not None:
        lines.append(("Saves that lasted", lasted))
    return lines


def detail_lines(report: Report) -> list[str]:
    """Overall, per kind, top root causes and competitors, payment: one line each."""
    from bot.reports.stages import stage_lines  # it uses the words above: imported when called

    cur = report.currency
    lines = [f"All churn risks: {figure_line(report.overall, cur, before_of(report))}"]
    lines += [f"{label}: {line}" for label, line in trust_lines(report)]
    lines += [f"{label}: {line}" for label, line in stage_lines(report)]
    for kind, f in report.kinds:
        lines.append(f"{kind_label(kind)}: {figure_line(f, cur, before_of(report, kind))}")
    for label, which in (("Top root causes", "root_causes"), ("Top competitors", "competitors")):
        top = top_line(report, which)
        if top is not None:
            lines.append(f"{label}: {top}")
    lines.append(f"Payment track: {payment_line(report)}")
    return lines


def as_text(report: Report) -> str:
    """The whole report for a terminal."""
    from bot.reports.narrative import narrative  # it uses the words above: imported when called

    body = [title(report), "", " ".join(narrative(report)), ""]
    return "\n".join(body + detail_lines(report)) + "\n"
