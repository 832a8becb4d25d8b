"""The payment track's figures (docs/reports.md, *Definitions* and *Trend*): open delinquent
cases and overdue invoices by dunning step, now and as the previous period ended, as SQL
aggregates over indexes: the partial indexes of open cases and of closed cases by closing
time, `ix_invoices_ladder` (open invoices) and `ix_invoices_closed` (closed invoices by
their last change); never a whole table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, select, text
from sqlalchemy.orm import Session

from storage.models import CLOSED_INVOICE_SQL
from storage.report_sources import invoices, present
from storage.reports import (
    PAYMENT,
    ZERO,
    OpenRow,
    _money,
    closed_since,
    merge_open,
    open_now_and_at,
)
from storage.vocab import InvoiceStatus


def payment_cases(
    session: Session, at: datetime | None = None
) -> tuple[tuple[int, Decimal], tuple[int, Decimal] | None]:
    """(open payment-track cases, their ARR at risk) now, and (with `at`) as the cases stood
    at `at` like the churn cases' `open_at` (docs/reports.md, *Trend*): opened by then and
    open now or closed since. The same two queries as `open_at`, on the payment track."""
    now_rows, then_rows = open_now_and_at(session, at, PAYMENT)
    now = _count_and_arr(now_rows)
    if at is None:
        return now, None
    return now, _count_and_arr(merge_open(then_rows, closed_since(session, at, PAYMENT)))


def _count_and_arr(rows: list[OpenRow]) -> tuple[int, Decimal]:
    return sum(r[1] for r in rows), sum((r[2] for r in rows), ZERO)


def overdue_by_step(session: Session, today: date) -> list[tuple[int, int, Decimal]] | None:
    """(dunning step reached in days past due, invoices, amount remaining) of open invoices
    past their due date; None when invoices are not stored."""
    return overdue_now_and_at(session, today)[0]


LadderRow = tuple[int, int, Decimal]
"""(dunning step in days past due, invoices, amount)."""


def overdue_now_and_at(
    session: Session,
    today: date,
    at: datetime | None = None,
    day: date | None = None,
    steps: Sequence[int] = (),
) -> tuple[list[LadderRow] | None, list[LadderRow] | None]:
    """`overdue_by_step`'s rows, and (with `at`; `day` its calendar day in the policy's
    timezone) as the invoices stood then (docs/reports.md, *Trend*): those recorded by
    then and past due on `day` that are open now, or closed since (paid, void or
    uncollectible, their last recorded change after `at`). Each counts at the ladder step
    (`steps`, in days past due) it was past on `day`, never above the step it has reached
    now, and at its amount remaining now (a closed invoice with nothing left: its amount
    due): no history of either is kept. The open invoices are read once for both (through
    `ix_invoices_ladder`), the ones closed since through `ix_invoices_closed`. (None, None)
    when invoices are not stored; the second is None without `at`."""
    if not present(session, "invoices"):
        return None, None
    inv = invoices.c
    past_due = and_(inv.status == InvoiceStatus.OPEN, inv.due_date < today)
    if at is None or day is None:
        stmt = (
            select(inv.dunning_days, func.count(), func.sum(inv.amount_remaining))
            .where(past_due)
            .group_by(inv.dunning_days)
            .order_by(inv.dunning_days)
        )
        return [(int(d or 0), n, _money(a)) for d, n, a in session.execute(stmt)], None
    whens = [(inv.due_date <= day - timedelta(days=d), literal(d)) for d in sorted(steps)[::-1]]
    reached = (case(*whens, else_=literal(0)) if whens else literal(0)).label("reached")
    then = and_(inv.created_at <= at, inv.due_date < day)
    stmt = (
        select(
            inv.dunning_days,
            reached,
            func.count(),
            func.sum(inv.amount_remaining),
            func.count().filter(then),
            func.sum(inv.amount_remaining).filter(then),
        )
        .where(past_due)
        .group_by(inv.dunning_days, text("reached"))
    )
    now: dict[int, list[Any]] = {}
    before: dict[int, list[Any]] = {}
    for step, was, n, a, n_then, a_then in session.execute(stmt):
        _add_step(now, int(step or 0), n, a)
        if n_then:
            _add_step(before, min(int(step or 0), int(was)), n_then, a_then)
    left = case((inv.amount_remaining > 0, inv.amount_remaining), else_=inv.amount_due)
    closed = (
        select(inv.dunning_days, reached, func.count(), func.sum(left))
        .where(text(CLOSED_INVOICE_SQL), inv.updated_at > at, then)
        .group_by(inv.dunning_days, text("reached"))
    )
    for step, was, n, a in session.execute(closed):
        _add_step(before, min(int(step or 0), int(was)), n, a)
    return _steps(now), _steps(before)


def _add_step(totals: dict[int, list[Any]], step: int, n: int, amount: Any) -> None:
    t = totals.setdefault(step, [0, ZERO])
    t[0] += n
    t[1] += Decimal(amount or 0)


def _steps(totals: dict[int, list[Any]]) -> list[LadderRow]:
    """The steps' totals, each amount rounded once (as `overdue_by_step` rounds its sums)."""
    return [(step, n, _money(a)) for step, (n, a) in sorted(totals.items())]
