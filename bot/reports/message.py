"""The report as words: plain text for the terminal, and the lines (mrkdwn-safe) that the
Slack post and App Home are built from (slack_edge/report_messages.py). Figures only,
already computed; nothing here queries the database."""

from __future__ import annotations

from bot.reports.model import Figures, Ranked, Report
from bot.reports.narrative import narrative
from bot.reports.words import duration, kind_label, money, percent, plural

TITLES = {"week": "Revenue at risk: the last 7 days", "month": "Revenue at risk: the last 30 days"}
TITLES["quarter"] = "Revenue at risk: the last 90 days"


def title(report: Report) -> str:
    return f"{TITLES[report.period]} (to {report.end:%Y-%m-%d %H:%M} UTC)"


def figure_line(f: Figures, cur: str) -> str:
    """Every figure of one kind (or overall) on one line."""
    parts = [
        f"at risk {f.open} worth {money(f.arr_at_risk, cur)} "
        f"(saveable {money(f.arr_saveable, cur)}, high risk {money(f.arr_high_risk, cur)})",
        f"saved {f.saved} worth {money(f.arr_saved, cur)}",
        f"churned {f.churned} worth {money(f.arr_churned, cur)}" + _involuntary(f, cur),
        f"moved on {f.moved_on} worth {money(f.arr_moved_on, cur)}",
        "save rate " + (percent(f.save_rate) if f.save_rate is not None else "n/a"),
    ]
    if f.average_time_at_risk is not None:
        parts.append(f"average time at risk {duration(f.average_time_at_risk)}")
    if f.plan_complete is not None:
        parts.append(f"plans {percent(f.plan_complete)} complete ({f.plan_done}/{f.plan_steps})")
    return "; ".join(parts)


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


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payment_line(report: Report) -> str:
    """The payment track on its own line: open delinquent cases, overdue by ladder step."""
    p, cur = report.payment, report.currency
    line = f"{plural(p.open, 'open delinquent case')} worth {money(p.arr_at_risk, cur)} in ARR"
    if p.ladder is None:
        return line + " (invoices are not recorded)"
    if not p.ladder:
        return line + "; no invoice is overdue"
    steps = ", ".join(
        f"{money(s.amount, cur)} at {s.days_past_due}+ days past due ({s.invoices})"
        if s.days_past_due
        else f"{money(s.amount, cur)} before the first step ({s.invoices})"
        for s in p.ladder
    )
    return f"{line}; overdue {money(p.overdue or 0, cur)}: {steps}"


def detail_lines(report: Report) -> list[str]:
    """Overall, per kind, top root causes and competitors, payment: one line each."""
    cur = report.currency
    lines = [f"All churn risks: {figure_line(report.overall, cur)}"]
    for kind, f in report.kinds:
        lines.append(f"{kind_label(kind)}: {figure_line(f, cur)}")
    if report.overall.root_causes:
        lines.append(f"Top root causes: {ranked_line(report.overall.root_causes, cur)}")
    if report.overall.competitors:
        lines.append(f"Top competitors: {ranked_line(report.overall.competitors, cur)}")
    lines.append(f"Payment track: {payment_line(report)}")
    return lines


def as_text(report: Report) -> str:
    """The whole report for a terminal."""
    body = [title(report), "", " ".join(narrative(report)), ""]
    return "\n".join(body + detail_lines(report)) + "\n"
