"""The report's figures people can trust (docs/reports.md, *Did the save last?*): of the saves some
days ago, how many are still customers, and the period's saves net of their concessions.

Each query reads the saved cases of one window through ix_cases_report_closed (a handful
of thousand rows at most) and joins each to its check-in by the (case, checkpoint) key.
Money sums are Decimals in the accounts' currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from storage.models import SAVED_SQL, Case, SaveCheckin
from storage.report_sources import present
from storage.reports import Window, _money, closed_in
from storage.vocab import CheckinAnswer


@dataclass(frozen=True)
class Cohort:
    """The saves of one window and what their check-in at `days` said: `still` customers
    (or downgraded) and the ARR they bring now, `churned`, and not yet answered."""

    days: int
    saves: int
    arr_saved: Decimal
    still: int
    arr_still: Decimal
    churned: int
    arr_churned: Decimal
    unanswered: int
    concessions: Decimal


def _saved(window: Window) -> ColumnElement[bool]:
    """Saved churn cases closed in the window; the status test is ix_cases_report_saved's
    predicate as a literal (a partial index needs the query to repeat it, storage/reports.py
    `open_cases`)."""
    return and_(closed_in(window), text(f"cases.{SAVED_SQL}"))


def _arr() -> ColumnElement[Decimal]:
    """A save's ARR, as the report's save figures count it."""
    return func.coalesce(Case.arr_saved, Case.arr_at_risk)


def net(session: Session, window: Window) -> tuple[Decimal, Decimal]:
    """(ARR the window's saves still bring in, their concessions' cost): a save a check-in
    found churned brings 0, a downgraded one its new ARR (`cases.arr_kept`)."""
    kept, cost = session.execute(
        select(
            func.sum(func.coalesce(Case.arr_kept, _arr())),
            func.sum(func.coalesce(Case.offer_cost, literal(0))),
        ).where(_saved(window))
    ).one()
    return _money(kept), _money(cost)


def cohort(session: Session, window: Window, days: int) -> Cohort | None:
    """The saves of `window` moved back `days` days, by their `days`-day check-in's answer;
    None when check-ins are not stored."""
    if not present(session, "save_checkins"):
        return None
    back = Window(start=window.start - timedelta(days=days), end=window.end - timedelta(days=days))
    answer = SaveCheckin.answer
    still_arr = case((answer == CheckinAnswer.DOWNGRADED, SaveCheckin.new_arr), else_=_arr())
    stmt = (
        select(
            answer,
            func.count(),
            func.sum(_arr()),
            func.sum(still_arr),
            func.sum(func.coalesce(Case.offer_cost, literal(0))),
        )
        .select_from(Case)
        .outerjoin(
            SaveCheckin,
            and_(SaveCheckin.case_id == Case.id, SaveCheckin.checkpoint == str(days)),
        )
        .where(_saved(back))
        .group_by(answer)
    )
    rows = {a: (n, _money(s), _money(k), _money(c)) for a, n, s, k, c in session.execute(stmt)}
    still = [rows[a] for a in (CheckinAnswer.CUSTOMER, CheckinAnswer.DOWNGRADED) if a in rows]
    churned = rows.get(CheckinAnswer.CHURNED, (0, Decimal(0), Decimal(0), Decimal(0)))
    return Cohort(
        days=days,
        saves=sum(r[0] for r in rows.values()),
        arr_saved=sum((r[1] for r in rows.values()), Decimal(0)),
        still=sum(r[0] for r in still),
        arr_still=sum((r[2] for r in still), Decimal(0)),
        churned=churned[0],
        arr_churned=churned[1],
        unanswered=rows.get(None, (0,))[0],
        concessions=sum((r[3] for r in rows.values()), Decimal(0)),
    )
