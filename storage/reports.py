"""The report's figures as SQL aggregates, grouped by risk kind, over churn-track cases.

Every query reads an index (ix_cases_report_open / ix_cases_report_closed, plus the other
domains' keys) and returns a handful of grouped rows; no case is loaded into Python. Money
sums are Decimals in the accounts' currency; times are UTC. Definitions: docs/reports.md.
Also stores and reads back generated reports (`reports` table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Float,
    Row,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from storage.models import (
    OPEN_STATUSES,
    Account,
    Case,
    OutboxMessage,
    StoredReport,
)
from storage.report_sources import (
    plan_steps,
    present,
    stripe_subscriptions,
    survey_answers,
    turnovers,
)
from storage.vocab import CaseStatus, OutboxState, RiskLevel, Track

CHURN = Track.CHURN
PAYMENT = Track.PAYMENT
ZERO = Decimal(0)


@dataclass(frozen=True)
class Window:
    """The period [start, end] in UTC: a case closed at the very moment the report is made
    counts in it."""

    start: datetime
    end: datetime


def _money(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(Decimal("0.01"))


def closed_in(window: Window) -> ColumnElement[bool]:
    return and_(
        Case.track == CHURN,
        Case.closed_at.is_not(None),
        Case.closed_at >= window.start,
        Case.closed_at <= window.end,
    )


def open_cases(track: str = CHURN) -> ColumnElement[bool]:
    """Open cases of a track. The status test is the partial index's predicate spelled
    with literals, as SQLite only uses a partial index whose WHERE the query repeats."""
    listed = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    return and_(Case.track == track, text(f"cases.status IN ({listed})"))


def _epoch(session: Session, column: Any) -> ColumnElement[float]:
    """Seconds since 1970 of a stored UTC time, in the database's own arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - 2440587.5) * 86400.0


def closed(session: Session, window: Window) -> list[tuple[str, str, int, Decimal, Decimal]]:
    """(kind, status, count, ARR at risk, ARR saved) of churn cases closed in the window.

    ARR saved is the case's `arr_saved` (its ARR at risk when it was saved).
    """
    stmt = (
        select(
            Case.kind,
            Case.status,
            func.count(),
            func.sum(Case.arr_at_risk),
            func.sum(func.coalesce(Case.arr_saved, Case.arr_at_risk)),
        )
        .where(closed_in(window))
        .group_by(Case.kind, Case.status)
    )
    return [(k, s, n, _money(a), _money(b)) for k, s, n, a, b in session.execute(stmt)]


OpenRow = tuple[str, int, Decimal, Decimal, float]
"""(kind, open cases, ARR at risk, of it at risk level high, sum of created_at epochs)."""


def open_now(session: Session) -> list[OpenRow]:
    """(kind, open cases, ARR at risk, of it at risk level high, sum of created_at epochs)."""
    return open_now_and_at(session, None)[0]


def open_now_and_at(
    session: Session, at: datetime | None, track: str = CHURN
) -> tuple[list[OpenRow], list[OpenRow]]:
    """`open_now`'s rows, and (with `at`) those of the cases open now that were already
    opened at `at`, from one scan of the open cases of `track` (the trend's at-risk figures
    add `closed_since(at)` to the second)."""
    high = case((Case.risk == RiskLevel.HIGH, Case.arr_at_risk), else_=literal(0))
    epoch = _epoch(session, Case.created_at)
    sums = [func.count(), func.sum(Case.arr_at_risk), func.sum(high), func.sum(epoch)]
    then = Case.created_at <= at if at is not None else literal(False)
    sums_then = [func.count().filter(then)] + [
        func.sum(v).filter(then) for v in (Case.arr_at_risk, high, epoch)
    ]
    stmt = select(Case.kind, *sums, *sums_then).where(open_cases(track)).group_by(Case.kind)
    now_rows: list[OpenRow] = []
    then_rows: list[OpenRow] = []
    for kind, n, a, h, e, n2, a2, h2, e2 in session.execute(stmt):
        now_rows.append((kind, n, _money(a), _money(h), float(e or 0)))
        if n2:
            then_rows.append((kind, n2, _money(a2), _money(h2), float(e2 or 0)))
    return now_rows, then_rows


def closed_since(session: Session, at: datetime, track: str = CHURN) -> list[OpenRow]:
    """`open_now`'s rows for the cases of `track` opened by `at` and closed since: with the
    cases still open, those open at `at`."""
    high = case((Case.risk == RiskLevel.HIGH, Case.arr_at_risk), else_=literal(0))
    stmt = select(
        Case.kind,
        func.count(),
        func.sum(Case.arr_at_risk),
        func.sum(high),
        func.sum(_epoch(session, Case.created_at)),
    ).where(
        Case.track == track, Case.closed_at.is_not(None), Case.closed_at >= at,
        Case.created_at <= at,
    ).group_by(Case.kind)  # fmt: skip
    return [(k, n, _money(a), _money(h), float(e or 0)) for k, n, a, h, e in session.execute(stmt)]


def open_at(session: Session, at: datetime) -> list[OpenRow]:
    """`open_now`'s rows as the churn cases stood at `at` (the previous period's at-risk
    figures, docs/reports.md *Trend*): opened by then and not closed by then, i.e. open now
    or closed since. ARR and risk level are the cases' current ones (no history is kept)."""
    return merge_open(open_now_and_at(session, at)[1], closed_since(session, at))


def merge_open(*parts: list[OpenRow]) -> list[OpenRow]:
    """Rows of several parts added up per kind."""
    totals: dict[str, list[Any]] = {}
    for part in parts:
        for kind, n, arr, h, e in part:
            t = totals.setdefault(kind, [0, ZERO, ZERO, 0.0])
            t[0] += n
            t[1] += arr
            t[2] += h
            t[3] += e
    return [(k, n, a, h, e) for k, (n, a, h, e) in totals.items()]


def plans(session: Session) -> list[tuple[str, int, int]] | None:
    """(kind, plan steps, done steps) over open churn cases' action plans; None when the
    turnover tables do not exist."""
    if not present(session, "plan_steps"):
        return None
    done = func.sum(case((plan_steps.c.done.is_(True), 1), else_=0))
    stmt = (
        select(Case.kind, func.count(plan_steps.c.id), done)
        .join(turnovers, turnovers.c.case_id == Case.id)
        .join(plan_steps, plan_steps.c.turnover_id == turnovers.c.id)
        .where(open_cases())
        .group_by(Case.kind)
    )
    return [(k, n, int(d or 0)) for k, n, d in session.execute(stmt)]


def survey_of_churn() -> ColumnElement[bool]:
    """Join condition: the survey of the case's latest churn (a reopened case has one per
    churn), found through the (case_id, churn_number) key."""
    latest = aliased(survey_answers)
    last_churn = (
        select(func.max(latest.c.churn_number))
        .where(latest.c.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )
    return and_(
        survey_answers.c.case_id == Case.id,
        survey_answers.c.churn_number == last_churn,
    )


def latest_survey(session: Session) -> tuple[Any, ColumnElement[bool]]:
    """(FROM clause with the survey columns as `.c`, ON clause) of each case's latest churn
    survey. PostgreSQL gets a LATERAL subquery, so it looks surveys up per churned case
    rather than hashing the whole table; SQLite's nested loops do that by themselves."""
    if session.get_bind().dialect.name != "postgresql":
        return survey_answers, survey_of_churn()
    one = (
        select(survey_answers)
        .where(survey_answers.c.case_id == Case.id)
        .order_by(survey_answers.c.churn_number.desc())
        .limit(1)
        .correlate(Case)
        .lateral("latest_survey")
    )
    return one, true()


def involuntary(session: Session, window: Window) -> list[tuple[str, int, Decimal]] | None:
    """(kind, churns, ARR) of churns in the window that were involuntary (payment failed or
    disputed: the survey's or the Stripe subscription's flag); None when neither is stored."""
    stmt = select(Case.kind, func.count(), func.sum(Case.arr_at_risk))
    flags = []
    if present(session, "survey_answers"):
        survey, on = latest_survey(session)
        stmt = stmt.outerjoin(survey, on)
        flags.append(survey.c.involuntary.is_(True))
    if present(session, "stripe_subscriptions"):
        flags.append(
            exists().where(
                stripe_subscriptions.c.case_id == Case.id, stripe_subscriptions.c.involuntary
            )
        )
    if not flags:
        return None
    stmt = stmt.where(closed_in(window), Case.status == CaseStatus.CHURNED, or_(*flags)).group_by(
        Case.kind
    )
    return [(k, n, _money(a)) for k, n, a in session.execute(stmt)]


def _reasons(
    session: Session, window: Window, key_name: str, label_name: str
) -> list[Row[Any]] | None:
    if not present(session, "survey_answers"):
        return None
    survey, on = latest_survey(session)
    key, label = survey.c[key_name], survey.c[label_name]
    stmt = (
        select(
            Case.kind,
            key,
            func.min(label),
            func.count(),
            func.sum(func.coalesce(survey.c.arr_lost, Case.arr_at_risk)),
        )
        .select_from(Case)
        .join(survey, on)
        .where(closed_in(window), Case.status == CaseStatus.CHURNED, key.is_not(None))
        .group_by(Case.kind, key)
    )
    return list(session.execute(stmt))


def root_causes(session: Session, window: Window) -> list[tuple[str, str, int, Decimal]] | None:
    """(kind, root cause key, churns, ARR lost) from the surveys of the window's churns."""
    rows = _reasons(session, window, "root_cause", "root_cause")
    return None if rows is None else [(k, key, n, _money(a)) for k, key, _, n, a in rows]


def catch_all_notes(
    session: Session, window: Window, key: str, limit: int = 20
) -> list[tuple[str, str, Decimal]]:
    """(kind, notes, ARR lost) of the window's churns whose root cause is the catch-all
    ``key`` ("Other": the notes say what it was), the largest losses first."""
    if not present(session, "survey_answers"):
        return []
    survey, on = latest_survey(session)
    lost = func.coalesce(survey.c.arr_lost, Case.arr_at_risk)
    stmt = (
        select(Case.kind, survey.c.notes, lost)
        .select_from(Case)
        .join(survey, on)
        .where(closed_in(window), Case.status == CaseStatus.CHURNED, survey.c.root_cause == key)
        .where(survey.c.notes.is_not(None))
        .order_by(lost.desc(), Case.id)
        .limit(limit)
    )
    return [(k, n, _money(a)) for k, n, a in session.execute(stmt)]


def competitors(
    session: Session, window: Window
) -> list[tuple[str, str, str, int, Decimal]] | None:
    """(kind, competitor key, a spelling of its name, churns, ARR lost) of the window."""
    rows = _reasons(session, window, "competitor_key", "competitor")
    return None if rows is None else [(k, key, lab, n, _money(a)) for k, key, lab, n, a in rows]


def main_currency(session: Session) -> str:
    """The accounts' most common currency (the report sums amounts in one currency)."""
    row = session.execute(
        select(Account.currency, func.count().label("n"))
        .group_by(Account.currency)
        .order_by(func.count().desc(), Account.currency)
        .limit(1)
    ).first()
    return row[0] if row else "USD"


# -- stored reports ---------------------------------------------------------------------------


def save(session: Session, **values: Any) -> StoredReport:
    """Store a generated report (see StoredReport for the fields)."""
    row = StoredReport(**values)
    session.add(row)
    session.flush()
    return row


def get(session: Session, report_id: int) -> StoredReport | None:
    return session.get(StoredReport, report_id)


def latest(session: Session, periods: Sequence[str] = ("week",)) -> StoredReport | None:
    """The newest stored report of one of `periods`."""
    stmt = (
        select(StoredReport)
        .where(StoredReport.period.in_(periods))
        .order_by(StoredReport.generated_at.desc(), StoredReport.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def latest_chart(session: Session) -> tuple[str, str, datetime] | None:
    """(permalink, period, period end) of the newest report whose chart upload was sent."""
    row = session.execute(
        select(OutboxMessage.permalink, StoredReport.period, StoredReport.period_end)
        .join(OutboxMessage, OutboxMessage.parent_id == StoredReport.message_id)
        .where(
            OutboxMessage.method == "files.upload_v2",
            OutboxMessage.state == OutboxState.SENT,
            OutboxMessage.permalink.is_not(None),
        )
        .order_by(StoredReport.generated_at.desc(), StoredReport.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1], row[2])
