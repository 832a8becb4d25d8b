"""The two or three sentences that open the report, in the shape a CS leader says them at
the executive meeting (issue example): for the kind with the most ARR at risk, then
overall. Every number comes from the figures; a sentence about something the data does not
show (no plans, no closed cases) is left out rather than guessed."""

from __future__ import annotations

from decimal import Decimal

from bot.common.formatting import whole_money as money
from bot.reports.models import ZERO, Figures, Report
from bot.reports.words import (
    PERIOD_WORDS,
    change,
    duration,
    kind_label,
    percent,
    plural,
    risk_phrase,
)


def narrative(report: Report) -> list[str]:
    """The opening sentences: the opening kind's story, then the overall one."""
    lead = opening_kind(report)
    sentences = kind_sentences(report, lead) if lead else []
    sentences.append(overall_sentence(report))
    return sentences


def opening_kind(report: Report) -> str | None:
    """The kind the report opens with: what happened first (docs/reports.md, *The
    opening*). Of the kinds with cases closed in the period (saved, churned or moved on),
    the one with the most ARR closed (ties: most cases, then name); without any, the kind
    with the most ARR at risk (`Report.lead_kind`); None when neither exists."""
    closed = sorted(
        (-(f.arr_saved + f.arr_churned + f.arr_moved_on), -f.closed, name)
        for name, f in report.kinds
        if f.closed
    )
    return closed[0][2] if closed else report.lead_kind


def plan_clause(figures: Figures) -> str | None:
    """'the recovery plans are 60% complete' when that is exact, otherwise what is done:
    '7 of 12 recovery plan steps are done (58%)'; None without plans."""
    if not figures.plan_steps:
        return None
    share = figures.plan_done / figures.plan_steps
    if (figures.plan_done * 100) % figures.plan_steps == 0:
        return f"the recovery plans are {percent(share)} complete"
    return (
        f"{figures.plan_done} of {figures.plan_steps} recovery plan steps are done "
        f"({percent(share)})"
    )


def _previous(report: Report, kind: str | None = None) -> Figures | None:
    """The previous period's figures (of one kind, or overall); None without a trend."""
    if report.previous is None:
        return None
    return report.previous.overall if kind is None else report.previous.kind(kind)


def kind_sentences(report: Report, kind: str) -> list[str]:
    """The example's three sentences for one risk kind (what closed, what is at risk, the
    forecast), each figure beside the previous period's ("up from …", README *Trend*); a
    sentence with nothing to say (nothing closed, nothing open) is left out."""
    f, cur, b = report.kind(kind), report.currency, _previous(report, kind)
    sentences = [] if not f.closed else [_closed_sentence(report, kind, f, b)]
    if not f.open:
        return [*sentences, "No customer is at risk for that reason now."] if sentences else []
    opened = "" if b is None else change(f.open, b.open, str(b.open))
    arr = "" if b is None else change(f.arr_at_risk, b.arr_at_risk, money(b.arr_at_risk, cur))
    reason = "for that reason" if sentences else f"({kind_label(kind).lower()})"
    second = (
        f"We have {plural(f.open, 'customer')} at risk {reason}{opened}, "
        f"worth {money(f.arr_at_risk, cur)} in ARR{arr}"
    )
    clauses = []
    if f.average_time_at_risk is not None:
        age = f.average_time_at_risk
        before = None if b is None else b.average_time_at_risk
        shown = ""
        if before is not None:
            same = duration(age) == duration(before)  # as people read it
            shown = " (unchanged)" if same else change(age, before, duration(before))
        clauses.append(f"the average time at risk is {duration(age)}{shown}")
    plan = plan_clause(f)
    if plan:
        clauses.append(plan)
    second += ("; " + " and ".join(clauses) + ".") if clauses else "."
    return [*sentences, second, _forecast(f, cur, b)]


def _closed_sentence(report: Report, kind: str, f: Figures, b: Figures | None) -> str:
    """What closed of one kind in the period: the saves, else the churn, else the cases
    moved on from."""
    cur, when, risk = report.currency, PERIOD_WORDS[report.period].capitalize(), risk_phrase(kind)
    if f.saved:
        was = "" if b is None else change(f.saved, b.saved, plural(b.saved, "customer"))
        worth = "" if b is None else change(f.arr_saved, b.arr_saved, money(b.arr_saved, cur))
        return (
            f"{when} we saved {plural(f.saved, 'customer')} from {risk}{was}, "
            f"worth {money(f.arr_saved, cur)}{worth}."
        )
    if f.churned:
        was = "" if b is None else change(f.churned, b.churned, plural(b.churned, "customer"))
        worth = "" if b is None else change(f.arr_churned, b.arr_churned, money(b.arr_churned, cur))
        return (
            f"{when} we lost {plural(f.churned, 'customer')} to {risk}{was}, "
            f"worth {money(f.arr_churned, cur)}{worth}, and saved none."
        )
    label = kind_label(kind).lower()
    return f"{when} we moved on from {plural(f.moved_on, 'customer')} ({label}) and saved none."


def _money_trend(now: Decimal, before: Figures | None, field: str, cur: str) -> str:
    """ " (up from $30,000)" beside a money figure of `before` (a Figures field name)."""
    if before is None:
        return ""
    was = getattr(before, field)
    return change(now, was, money(was, cur))


def _forecast(f: Figures, cur: str, b: Figures | None = None) -> str:
    """Saveable and high-risk ARR, each beside the previous period's (as it began)."""
    high = _money_trend(f.arr_high_risk, b, "arr_high_risk", cur)
    saveable = _money_trend(f.arr_saveable, b, "arr_saveable", cur)
    if f.arr_high_risk == ZERO:
        return (
            f"We believe we can save all {money(f.arr_at_risk, cur)}{saveable}; "
            f"none of it is at high risk{high}."
        )
    if f.arr_saveable <= ZERO:
        return f"All {money(f.arr_high_risk, cur)} remains at high risk of churn{high}."
    return (
        f"We believe we can save {money(f.arr_saveable, cur)}{saveable}; "
        f"{money(f.arr_high_risk, cur)} remains at high risk of churn{high}."
    )


def overall_sentence(report: Report) -> str:
    """All kinds together: closed in the period (with the save rate), then at risk now."""
    f, cur, b = report.overall, report.currency, _previous(report)
    when = PERIOD_WORDS[report.period]
    if f.closed:
        rate = f.save_rate or 0.0
        before = None if b is None or b.save_rate is None else round(b.save_rate * 100)
        trend = "" if before is None else change(round(rate * 100), before, f"{before}%")
        closed = (
            f"Across all risks {when} we saved {plural(f.saved, 'customer')}"
            f"{_count_trend(f.saved, b, 'saved')} worth {money(f.arr_saved, cur)}"
            f"{_money_trend(f.arr_saved, b, 'arr_saved', cur)} and {_lost(f, cur, b)}: "
            f"a save rate of {percent(rate)}{trend}"
        )
    else:
        closed = f"Across all risks no case was closed {when}"
    if f.open:
        verb = "is" if f.open == 1 else "are"
        arr = _money_trend(f.arr_at_risk, b, "arr_at_risk", cur)
        high = _money_trend(f.arr_high_risk, b, "arr_high_risk", cur)
        return (
            f"{closed}; {plural(f.open, 'customer')} {verb} at risk now"
            f"{_count_trend(f.open, b, 'open')}, worth {money(f.arr_at_risk, cur)}{arr}, "
            f"{money(f.arr_high_risk, cur)} of it at high risk{high}."
        )
    return f"{closed}; no customer is at risk now{_count_trend(0, b, 'open')}."


def _count_trend(now: int, before: Figures | None, field: str) -> str:
    """ " (up from 3)" beside a count of `before` (a Figures field name)."""
    return (
        "" if before is None else change(now, getattr(before, field), str(getattr(before, field)))
    )


def _lost(f: Figures, cur: str, b: Figures | None) -> str:
    """ "lost 2 customers (up from 1) worth $30,000 (up from $10,000) (…involuntary…),
    moved on from 1 (unchanged)": the period's churned and moved-on figures with their trend."""
    if f.churned:
        lost = (
            f"lost {plural(f.churned, 'customer')}{_count_trend(f.churned, b, 'churned')} worth "
            f"{money(f.arr_churned, cur)}{_money_trend(f.arr_churned, b, 'arr_churned', cur)}"
        )
        if f.involuntary:
            lost += f" ({f.involuntary} involuntary, through failed payment)"
    else:
        was = "" if b is None or not b.churned else f" (down from {plural(b.churned, 'customer')})"
        lost = f"lost none{was}"
    if f.moved_on or (b is not None and b.moved_on):
        lost += f", moved on from {f.moved_on}{_count_trend(f.moved_on, b, 'moved_on')}"
    return lost
