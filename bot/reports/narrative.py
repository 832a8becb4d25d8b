"""The two or three sentences that open the report, in the shape a CS leader says them at
the executive meeting (issue example): for the kind with the most ARR at risk, then
overall. Every number comes from the figures; a sentence about something the data does not
show (no plans, no closed cases) is left out rather than guessed."""

from __future__ import annotations

from bot.reports.model import ZERO, Figures, Report
from bot.reports.words import PERIOD_WORDS, duration, money, percent, plural, risk_phrase


def narrative(report: Report) -> list[str]:
    """The opening sentences: the lead kind's story, then the overall one."""
    lead = report.lead_kind
    sentences = kind_sentences(report, lead) if lead else []
    sentences.append(overall_sentence(report))
    return sentences


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


def kind_sentences(report: Report, kind: str) -> list[str]:
    """The example's three sentences for one risk kind."""
    f, cur = report.kind(kind), report.currency
    when = PERIOD_WORDS[report.period]
    risk = risk_phrase(kind)
    if f.saved:
        first = (
            f"{when.capitalize()} we saved {plural(f.saved, 'customer')} from {risk}, "
            f"worth {money(f.arr_saved, cur)}."
        )
    else:
        first = f"{when.capitalize()} we saved no customer from {risk}."
    second = (
        f"We have {plural(f.open, 'customer')} at risk for that reason, "
        f"worth {money(f.arr_at_risk, cur)} in ARR"
    )
    clauses = []
    if f.average_time_at_risk is not None:
        clauses.append(f"the average time at risk is {duration(f.average_time_at_risk)}")
    plan = plan_clause(f)
    if plan:
        clauses.append(plan)
    second += ("; " + " and ".join(clauses) + ".") if clauses else "."
    return [first, second, _forecast(f, cur)]


def _forecast(f: Figures, cur: str) -> str:
    if f.arr_high_risk == ZERO:
        return (
            f"We believe we can save all {money(f.arr_at_risk, cur)}; none of it is at high risk."
        )
    if f.arr_saveable <= ZERO:
        return f"All {money(f.arr_high_risk, cur)} remains at high risk of churn."
    return (
        f"We believe we can save {money(f.arr_saveable, cur)}; "
        f"{money(f.arr_high_risk, cur)} remains at high risk of churn."
    )


def overall_sentence(report: Report) -> str:
    """All kinds together: closed in the period (with the save rate), then at risk now."""
    f, cur = report.overall, report.currency
    when = PERIOD_WORDS[report.period]
    if f.closed:
        lost = (
            f"lost {plural(f.churned, 'customer')} worth {money(f.arr_churned, cur)}"
            if f.churned
            else "lost none"
        )
        if f.churned and f.involuntary:
            lost += f" ({f.involuntary} involuntary, through failed payment)"
        moved = f", moved on from {f.moved_on}" if f.moved_on else ""
        closed = (
            f"Across all risks {when} we saved {plural(f.saved, 'customer')} worth "
            f"{money(f.arr_saved, cur)} and {lost}{moved}: a save rate of "
            f"{percent(f.save_rate or 0.0)}"
        )
    else:
        closed = f"Across all risks no case was closed {when}"
    if f.open:
        verb = "is" if f.open == 1 else "are"
        return (
            f"{closed}; {plural(f.open, 'customer')} {verb} at risk now, worth "
            f"{money(f.arr_at_risk, cur)}, {money(f.arr_high_risk, cur)} of it at high risk."
        )
    return f"{closed}; no customer is at risk now."
