"""The case-level rows behind every figure of the report, for the CSV export (so finance
can reconcile each total). Streamed from the database in batches, never held in memory.

One row per case and figure: `saved`, `churned`, `moved_on` (closed in the window, with the
survey's root cause, competitor and involuntary flag when surveys are stored),
`saved_<days>_days_ago` (saves that lasted: the saves of the window moved back, with their
check-in), `at_risk`
(open churn cases, with risk level and action-plan steps), `payment_case` (open payment
track) and `overdue_invoice` (open invoices past due, with the ladder step reached).
Stage times add `stage_<stage>` rows (storage/report_stages.py `clock_rows`) and the
summary rows of bot/reports/export.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, func, literal, null, select
from sqlalchemy.orm import Session

from storage.models import Account, Case, SaveCheckin
from storage.report_sources import invoices, plan_steps, present, survey_answers, turnovers
from storage.reports import Window, closed_in, open_cases, survey_of_churn
from storage.vocab import CaseStatus, CheckinAnswer, InvoiceStatus, Track

COLUMNS = (
    "figure", "case_id", "account", "account_name", "kind", "status", "risk",
    "arr_at_risk", "arr_saved", "created_at", "closed_at", "plan_steps", "plan_done",
    "involuntary", "root_cause", "competitor", "invoice_id", "amount_remaining",
    "currency", "due_date", "ladder_step_days", "offer_cost", "arr_kept", "checkpoint",
    "checkin_answer", "arr_now", "owner", "stage", "stage_started_at", "stage_stopped_at",
    "stage_hours", "group", "cases", "median_hours", "p90_hours",
)  # fmt: skip
BATCH = 2000


def _case_columns() -> list[Any]:
    return [
        Case.id.label("case_id"),
        Account.external_id.label("account"),
        Account.name.label("account_name"),
        Case.kind,
        Case.status,
        Case.risk,
        Case.arr_at_risk,
        Case.arr_saved,
        Case.created_at,
        Case.closed_at,
        Case.offer_cost,
        Case.arr_kept,
        Case.owner,
    ]


def _stream(session: Session, figure: str, stmt: Any) -> Iterator[dict[str, Any]]:
    for row in session.execute(stmt.execution_options(yield_per=BATCH)).mappings():
        yield {"figure": figure, **row}


def closed_rows(session: Session, window: Window) -> Iterator[dict[str, Any]]:
    """Cases saved, churned or moved on in the window (figure = the status)."""
    cols = _case_columns()
    stmt = select(*cols).join(Account, Account.id == Case.account_id)
    if present(session, "survey_answers"):
        on = survey_of_churn()
        stmt = stmt.add_columns(
            survey_answers.c.involuntary, survey_answers.c.root_cause, survey_answers.c.competitor
        ).outerjoin(survey_answers, on)
    stmt = stmt.where(closed_in(window)).order_by(Case.status, Case.closed_at, Case.id)
    for row in session.execute(stmt.execution_options(yield_per=BATCH)).mappings():
        yield {"figure": row["status"], **row}


def lasted_rows(session: Session, window: Window, days: int) -> Iterator[dict[str, Any]]:
    """The saves behind one saves-that-lasted figure (`saved_<days>_days_ago`): the saves
    of `window` moved back `days` days, with their `days`-day check-in's answer and the ARR
    they bring now (empty answer: not yet answered)."""
    if not present(session, "save_checkins"):
        return
    back = Window(window.start - timedelta(days=days), window.end - timedelta(days=days))
    arr = func.coalesce(Case.arr_saved, Case.arr_at_risk)
    now = case(
        (SaveCheckin.answer == CheckinAnswer.CHURNED, literal(0)),
        (SaveCheckin.answer == CheckinAnswer.DOWNGRADED, SaveCheckin.new_arr),
        (SaveCheckin.answer == CheckinAnswer.CUSTOMER, arr),
        else_=null(),
    )
    stmt = (
        select(
            *_case_columns(),
            literal(str(days)).label("checkpoint"),
            SaveCheckin.answer.label("checkin_answer"),
            now.label("arr_now"),
        )
        .join(Account, Account.id == Case.account_id)
        .outerjoin(
            SaveCheckin,
            and_(SaveCheckin.case_id == Case.id, SaveCheckin.checkpoint == str(days)),
        )
        .where(closed_in(back), Case.status == CaseStatus.SAVED)
        .order_by(Case.closed_at, Case.id)
    )
    yield from _stream(session, f"saved_{days}_days_ago", stmt)


def open_rows(session: Session) -> Iterator[dict[str, Any]]:
    """Open churn cases (at risk now), with their action plans' steps and done steps."""
    stmt = select(*_case_columns()).join(Account, Account.id == Case.account_id)
    if present(session, "plan_steps"):
        done = func.sum(case((plan_steps.c.done.is_(True), 1), else_=0))
        per_case = (
            select(
                turnovers.c.case_id,
                func.count(plan_steps.c.id).label("plan_steps"),
                done.label("plan_done"),
            )
            .join(plan_steps, plan_steps.c.turnover_id == turnovers.c.id)
            .group_by(turnovers.c.case_id)
            .subquery()
        )
        stmt = stmt.add_columns(per_case.c.plan_steps, per_case.c.plan_done).outerjoin(
            per_case, per_case.c.case_id == Case.id
        )
    yield from _stream(session, "at_risk", stmt.where(open_cases()).order_by(Case.kind, Case.id))


def payment_rows(session: Session, today: date) -> Iterator[dict[str, Any]]:
    """Open payment-track cases, then open invoices past due with their ladder step."""
    stmt = select(*_case_columns()).join(Account, Account.id == Case.account_id)
    yield from _stream(
        session, "payment_case", stmt.where(open_cases(Track.PAYMENT)).order_by(Case.id)
    )
    if not present(session, "invoices"):
        return
    stmt = (
        select(
            null().label("case_id"),
            Account.external_id.label("account"),
            Account.name.label("account_name"),
            invoices.c.invoice_id,
            invoices.c.amount_remaining,
            invoices.c.currency,
            invoices.c.due_date,
            func.coalesce(invoices.c.dunning_days, literal(0, Integer)).label("ladder_step_days"),
        )
        .join(Account, Account.id == invoices.c.account_id)
        .where(invoices.c.status == InvoiceStatus.OPEN, invoices.c.due_date < today)
        .order_by(invoices.c.due_date, invoices.c.id)
    )
    yield from _stream(session, "overdue_invoice", stmt)
