"""Stage times (docs/reports.md, *Stage times*): how fast the save motion moves, as median and p90
per kind and per owner, and the open cases whose clock has run longest; the figures come
from storage/report_stages.py, the words are here (mrkdwn-safe, like bot/reports/words.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.reports.models import Report, SlowCase, StageTime
from bot.reports.words import duration, kind_label
from storage import report_stages as rows
from storage.reports import Window

STAGES = rows.STAGES
STAGE_WORDS = {
    "acknowledge": "to acknowledge",
    "first_offer": "to first offer",
    "decision": "to the approval decision",
    "close": "to close",
}
SHORT_WORDS = {
    "acknowledge": "acknowledge",
    "first_offer": "first offer",
    "decision": "approval decision",
    "close": "close",
}
WAITING_WORDS = {
    "acknowledge": "not yet acknowledged",
    "first_offer": "no offer yet",
    "decision": "an offer waiting for its approver",
    "close": "open longest",
}
MAX_OWNERS = 15
SLOWEST = 3


def stage_figures(session: Session, span: Window, *, slowest: bool = True) -> dict[str, Any]:
    """`Report` fields: the stage times of the clocks that stopped in `span` and, with
    `slowest`, the SLOWEST open cases of each stage (as of now)."""
    stages = tuple(
        sorted(
            (StageTime(g.stage, g.by, g.key, g.cases, g.median, g.p90) for g in
             rows.stage_times(session, span)),
            key=lambda s: (STAGES.index(s.stage), s.by, s.key or ""),
        )
    )  # fmt: skip
    out: dict[str, Any] = {"stages": stages}
    if slowest:
        out["slowest"] = tuple(
            SlowCase(w.stage, w.case_id, w.account, w.account_name, w.kind, w.owner, w.since)
            for w in rows.slowest_open(session, SLOWEST)
        )
    return out


def span_words(seconds: float) -> str:
    """A stage time in `seconds`, written as every duration of the report is
    (bot.reports.words.duration: "45 min", "46 h", "3 days")."""
    return duration(timedelta(seconds=seconds))


def _pair(line: StageTime) -> str:
    return f"{span_words(line.median)} / {span_words(line.p90)}"


def _median_p90(line: StageTime | None, before: StageTime | None) -> str:
    """ "2 h / 6 h (14), before 3 h / 9 h": median / p90 (how many), then the previous
    period's median / p90 (docs/reports.md, *Trend*)."""
    if line is None:
        return "none stopped" + (f" (before: {_pair(before)})" if before else "")
    text = f"{_pair(line)} ({line.cases})"
    if before is not None:
        text += f", before {_pair(before)}"
    return text


def _before(report: Report, stage: str, by: str = "all", key: str | None = None) -> Any:
    previous = report.previous
    return None if previous is None else previous.stage(stage, by, key)


def stage_line(report: Report) -> str | None:
    """All cases: "to acknowledge 2 h / 6 h (14), before 3 h; …" (median / p90, how many
    clocks stopped, the previous period's median); None when not computed."""
    if report.stages is None:
        return None
    parts = [f"{STAGE_WORDS[s]} {_median_p90(report.stage(s), _before(report, s))}" for s in STAGES]
    return "median / p90 (how many): " + "; ".join(parts)


def _group_line(report: Report, by: str, key: str | None) -> str:
    """One kind's or owner's stages, each beside the previous period's: "acknowledge 2 h /
    6 h (14), before 3 h / 9 h; first offer …" (a stage stopped in neither period is left
    out)."""
    parts = []
    for s in STAGES:
        line, before = report.stage(s, by, key), _before(report, s, by, key)
        if line is not None or before is not None:
            parts.append(f"{SHORT_WORDS[s]} {_median_p90(line, before)}")
    return "; ".join(parts)


def _owner(owner: str | None) -> str:
    return f"<@{owner}>" if owner else "no owner"


def by_lines(report: Report) -> list[tuple[str, str]]:
    """(label, line) per kind, then per owner (the MAX_OWNERS with the slowest median to
    close first), each stage as median / p90 (how many) beside the previous period's; a
    kind or owner of the previous period alone is shown too (its clocks: "none stopped")."""
    was = () if report.previous is None else report.previous.stages or ()
    if not report.stages and not was:
        return []
    both = (*(report.stages or ()), *was)  # a kind or owner of either period
    kinds = sorted({s.key for s in both if s.by == "kind" and s.key})
    now = report.stages or ()
    close = {s.key: s.median for s in now if s.by == "owner" and s.stage == "close"}
    owners = {s.key for s in both if s.by == "owner"}
    ranked = sorted(owners, key=lambda k: (-close.get(k, 0.0), k or ""))
    out = [(f"{kind_label(k)}", _group_line(report, "kind", k)) for k in kinds]
    out += [(_owner(k), _group_line(report, "owner", k)) for k in ranked[:MAX_OWNERS]]
    return out


def slowest_line(report: Report) -> str | None:
    """The open cases whose clocks have run longest, per stage: "not yet acknowledged:
    #12 Acme Corp (Cancellation, <@U1>) 3 days, …"; None when not computed or none open."""
    if not report.slowest:
        return None
    parts = []
    for stage in STAGES:
        cases = [c for c in report.slowest if c.stage == stage]
        if cases:
            named = ", ".join(_slow(c, report.generated_at) for c in cases)
            parts.append(f"{WAITING_WORDS[stage]}: {named}")
    return "; ".join(parts)


def _slow(case: SlowCase, now: datetime) -> str:
    name = case.account_name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    waited = span_words(max((now - case.since).total_seconds(), 0.0))
    return f"#{case.case_id} {name} ({kind_label(case.kind)}, {_owner(case.owner)}) {waited}"


def stage_lines(report: Report) -> list[tuple[str, str]]:
    """(label, line) of every stage-time line of the report, for the post, App Home and
    the terminal."""
    out = []
    overall = stage_line(report)
    if overall is not None:
        out.append(("Stage times", overall))
    out += [(f"Stage times, {label}", line) for label, line in by_lines(report) if line]
    slow = slowest_line(report)
    if slow is not None:
        out.append(("Slowest open cases", slow))
    return out
