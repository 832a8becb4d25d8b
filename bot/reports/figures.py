"""Assembles a `Report` from the grouped rows of storage/reports.py.

Each query returns one row per risk kind (a dozen at most); this module only adds them
up for the overall figures and ranks the top root causes and competitors.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from bot.common.vocab import CaseStatus
from bot.policy import Policy
from bot.reports.models import (
    PERIODS,
    ZERO,
    Figures,
    LadderLine,
    LastedLine,
    PaymentLine,
    Ranked,
    Report,
)
from bot.reports.stages import stage_figures
from bot.survey.answers import CATCH_ALL
from storage import report_payment as payments
from storage import report_trust as trust
from storage import reports as queries

TOP = 5
NOTES_SHOWN, NOTE_CHARS = 3, 60  # "Other" in a top list: its first notes, each shortened
_CLOSED_FIELDS = {
    CaseStatus.SAVED: ("saved", "arr_saved"),
    CaseStatus.CHURNED: ("churned", "arr_churned"),
    CaseStatus.MOVED_ON: ("moved_on", "arr_moved_on"),
}


def window(period: str, now: datetime) -> queries.Window:
    """The trailing period ending now: week 7, month 30, quarter 90 days (docs/reports.md)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    return queries.Window(start=now - PERIODS[period], end=now)


def compute(
    session: Session,
    policy: Policy,
    period: str,
    now: datetime,
    *,
    trusted: bool = True,
    stages: bool = True,
    trend: bool = True,
) -> Report:
    """Every figure of the report for the trailing `period` ending at `now` (UTC).
    `trusted=False` leaves out net of concessions and saves that lasted, `stages=False` the
    stage times and `trend=False` the previous period (bench/report.py times the report
    with and without them)."""
    span = window(period, now)
    values, ranked = _closed_part(session, policy, span)
    open_rows, open_then = queries.open_now_and_at(session, span.start if trend else None)
    _add_open(values, open_rows, now)
    plans = queries.plans(session)
    for kind, steps, done in plans or ():
        values[kind].update(plan_steps=steps, plan_done=done)
    kinds, overall = _assemble(values, ranked)
    extra: dict[str, Any] = _trusted(session, policy, span) if trusted else {}
    if stages:
        extra.update(stage_figures(session, span))
    payment, payment_then = _payment(session, policy, now, span.start if trend else None)
    if trend:
        extra["previous"] = replace(
            _previous(session, policy, period, span, open_then, trusted, stages),
            payment=payment_then,
        )
    return Report(
        period=period,
        start=span.start,
        end=span.end,
        generated_at=now,
        overall=overall,
        kinds=kinds,
        payment=payment,
        currency=queries.main_currency(session),
        timezone=policy.timezone.key,
        **extra,
    )


def previous_window(span: queries.Window) -> queries.Window:
    """The period of the same length that ended just before `span` began."""
    end = span.start - timedelta(microseconds=1)
    return queries.Window(start=span.start - (span.end - span.start), end=end)


def _previous(
    session: Session,
    policy: Policy,
    period: str,
    span: queries.Window,
    open_then: list[queries.OpenRow],
    trusted: bool,
    stages: bool,
) -> Report:
    """The previous period's figures (docs/reports.md, *Trend*): closed, net, lasted and stage times
    over that period; at risk as it ended (`open_then`: the cases open now that were open
    then, read with this period's open cases; no plan figures: their history is not kept)."""
    before = previous_window(span)
    values, ranked = _closed_part(session, policy, before)
    still = queries.merge_open(open_then, queries.closed_since(session, span.start))
    _add_open(values, still, span.start)
    kinds, overall = _assemble(values, ranked)
    extra: dict[str, Any] = _trusted(session, policy, before) if trusted else {}
    if stages:
        extra["stages"] = stage_figures(session, before, slowest=False)["stages"]
    return Report(
        period=period,
        start=before.start,
        end=before.end,
        generated_at=span.start,
        overall=overall,
        kinds=kinds,
        currency=queries.main_currency(session),
        timezone=policy.timezone.key,
        **extra,
    )


class _Lists(NamedTuple):
    """A window's root causes and competitors ranked per kind, and its "Other" notes."""

    causes: dict[str, dict[str, Ranked]]
    rivals: dict[str, dict[str, Ranked]]
    notes: list[tuple[str, str, Decimal]]


def _closed_part(
    session: Session, policy: Policy, span: queries.Window
) -> tuple[dict[str, dict[str, Any]], _Lists]:
    """The window's closed figures per kind, and its root causes and competitors ranked."""
    values: dict[str, dict[str, Any]] = defaultdict(dict)
    _add_closed(values, queries.closed(session, span))
    _add_involuntary(values, queries.involuntary(session, span))
    labels = {r.key: r.label for r in policy.survey_reasons}
    causes = queries.root_causes(session, span)
    rivals = queries.competitors(session, span)
    per_cause = _ranked_by_kind(
        ((k, key, labels.get(key, key), n, a) for k, key, n, a in causes or ())
    )
    per_rival = _ranked_by_kind(rivals or ())
    notes = queries.catch_all_notes(session, span, CATCH_ALL) if causes else []
    for kind in set(per_cause) | set(per_rival):
        said = [n for k, n, _ in notes if k == kind]
        values[kind].update(root_causes=with_notes(_top(per_cause.get(kind, {})), said))
        values[kind]["competitors"] = _top(per_rival.get(kind, {}))
    return values, _Lists(per_cause, per_rival, notes)


def _assemble(
    values: dict[str, dict[str, Any]], ranked: _Lists
) -> tuple[tuple[tuple[str, Figures], ...], Figures]:
    kinds = tuple(sorted((k, Figures(**v)) for k, v in values.items()))
    overall = _overall([f for _, f in kinds], ranked.causes, ranked.rivals)
    every_note = [n for _, n, _ in ranked.notes]
    return kinds, replace(overall, root_causes=with_notes(overall.root_causes, every_note))


def _trusted(session: Session, policy: Policy, span: queries.Window) -> dict[str, Any]:
    """Saves net of concessions, and saves that lasted at each checkpoint in days
    (docs/reports.md, *Did the save last?*)."""
    arr_kept, concessions = trust.net(session, span)
    cohorts = [trust.cohort(session, span, days) for days in policy.reports.checkpoint_days]
    lasted = None
    if all(c is not None for c in cohorts):
        lasted = tuple(LastedLine(**vars(c)) for c in cohorts if c is not None)
    return {"arr_kept": arr_kept, "concessions": concessions, "lasted": lasted}


def _add_closed(values: dict[str, dict[str, Any]], rows: Iterable[tuple]) -> None:
    for kind, status, count, arr, arr_saved in rows:
        if status not in _CLOSED_FIELDS:
            continue
        n_field, arr_field = _CLOSED_FIELDS[status]
        values[kind][n_field] = count
        values[kind][arr_field] = arr_saved if status == CaseStatus.SAVED else arr


def _add_open(values: dict[str, dict[str, Any]], rows: Iterable[tuple], now: datetime) -> None:
    now_epoch = now.timestamp()
    for kind, count, arr, high, epochs in rows:
        values[kind].update(
            open=count,
            arr_at_risk=arr,
            arr_high_risk=high,
            age_seconds=float(max(round(count * now_epoch - epochs), 0)),  # julianday: ms noise
        )


def _add_involuntary(
    values: dict[str, dict[str, Any]], rows: list[tuple[str, int, Decimal]] | None
) -> None:
    if rows is None:
        return
    for kind in values:
        values[kind].update(involuntary=0, arr_involuntary=ZERO)
    for kind, count, arr in rows:
        values[kind].update(involuntary=count, arr_involuntary=arr)


def _ranked_by_kind(rows: Iterable[tuple]) -> dict[str, dict[str, Ranked]]:
    out: dict[str, dict[str, Ranked]] = defaultdict(dict)
    for kind, key, label, count, arr in rows:
        out[kind][key] = Ranked(key, label, count, arr)
    return out


def _top(items: Mapping[str, Ranked]) -> tuple[Ranked, ...]:
    """The TOP entries by ARR, then count, then name."""
    ranked = sorted(items.values(), key=lambda r: (-r.arr, -r.count, r.label.lower()))
    return tuple(ranked[:TOP])


def _merge(per_kind: Mapping[str, Mapping[str, Ranked]]) -> tuple[Ranked, ...]:
    merged: dict[str, Ranked] = {}
    for items in per_kind.values():
        for key, r in items.items():
            old = merged.get(key)
            merged[key] = (
                r if old is None else replace(old, count=old.count + r.count, arr=old.arr + r.arr)
            )
    return _top(merged)


def _overall(
    figures: list[Figures],
    per_cause: Mapping[str, Mapping[str, Ranked]],
    per_rival: Mapping[str, Mapping[str, Ranked]],
) -> Figures:
    """All kinds together: counts and sums add up; the top lists are re-ranked."""
    total: dict[str, Any] = {}
    for name in (
        "saved", "arr_saved", "churned", "arr_churned", "moved_on", "arr_moved_on", "open",
        "arr_at_risk", "arr_high_risk", "age_seconds", "plan_steps", "plan_done",
    ):  # fmt: skip
        total[name] = sum((getattr(f, name) for f in figures), 0)
    known = [f for f in figures if f.involuntary is not None]
    if known:
        total["involuntary"] = sum(f.involuntary or 0 for f in known)
        total["arr_involuntary"] = sum((f.arr_involuntary or ZERO for f in known), ZERO)
    for name in ("arr_saved", "arr_churned", "arr_moved_on", "arr_at_risk", "arr_high_risk"):
        total[name] = Decimal(total[name])
    total["age_seconds"] = float(total["age_seconds"])
    return Figures(**total, root_causes=_merge(per_cause), competitors=_merge(per_rival))


def _payment(
    session: Session, policy: Policy, now: datetime, at: datetime | None
) -> tuple[PaymentLine, PaymentLine]:
    """Open delinquent cases, and overdue invoices by the dunning step they reached
    (calendar days past due in the policy's timezone, docs/dunning.md); then (with `at`,
    the start of the period) the same as they stood at `at` (docs/reports.md, *Trend*), else
    an empty line."""
    (count, arr), then = payments.payment_cases(session, at)
    today = now.astimezone(policy.timezone).date()
    day = None if at is None else at.astimezone(policy.timezone).date()
    days = [s.days_past_due for s in policy.dunning.steps]
    steps, steps_then = payments.overdue_now_and_at(session, today, at, day, days)
    line = PaymentLine(open=count, arr_at_risk=arr, ladder=_ladder(steps))
    if then is None:
        return line, PaymentLine()
    return line, PaymentLine(open=then[0], arr_at_risk=then[1], ladder=_ladder(steps_then))


def _ladder(steps: list[tuple[int, int, Decimal]] | None) -> tuple[LadderLine, ...] | None:
    return None if steps is None else tuple(LadderLine(d, n, a) for d, n, a in steps)


def with_notes(ranked: tuple[Ranked, ...], notes: list[str]) -> tuple[Ranked, ...]:
    """The catch-all root cause ("Other (say what in the notes)", docs/survey.md,
    *The taxonomy*) named by what its surveys' notes say, largest loss first: `Other: moved to
    an in-house tool; +2 more`. Other entries are unchanged."""
    said = list(dict.fromkeys(" ".join(n.split()) for n in notes if n and n.strip()))
    if not said:
        return ranked
    shown = [_shorten(n) for n in said[:NOTES_SHOWN]]
    more = f"; +{len(said) - NOTES_SHOWN} more" if len(said) > NOTES_SHOWN else ""
    return tuple(
        replace(r, label=f"{_bare(r.label)}: {'; '.join(shown)}{more}") if r.key == CATCH_ALL else r
        for r in ranked
    )


def _bare(label: str) -> str:
    """ "Other (say what in the notes)" → "Other"."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", label) or label


def _shorten(note: str) -> str:
    return note if len(note) <= NOTE_CHARS else note[: NOTE_CHARS - 1].rstrip() + "…"
