"""Survey queries: one survey per churn of a case, its answers and amendments, competitors
named before (for type-ahead), and the aggregations behind the digest and the report.

Every survey row is one churn (`churn_number` 1, 2, … after a Reopen); at most one per case
is `asked` at a time, which the partial unique index `uq_survey_answers_one_open` enforces
even when two processes race. Windows are half-open `[start, end)` in UTC and count a loss
by the moment the case churned (`asked_at`), so an answer filled in late still lands in the
month the customer left.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Account, Case, OutboxMessage, SurveyAnswer, SurveyEdit
from storage.vocab import SurveyStatus

ASKED = SurveyStatus.ASKED
ANSWERED = SurveyStatus.ANSWERED
WITHDRAWN = SurveyStatus.WITHDRAWN

ANSWER_FIELDS = (
    "stated_reason",
    "root_cause",
    "controllable",
    "competitor",
    "competitor_key",
    "tried",
    "would_come_back",
    "notes",
)
"""Columns a person fills in (and may amend later); everything else is bookkeeping."""


def get(session: Session, answer_id: int) -> SurveyAnswer | None:
    return session.get(SurveyAnswer, answer_id)


def open_for_case(session: Session, case_id: int) -> SurveyAnswer | None:
    """The case's unanswered survey, if one is waiting."""
    stmt = select(SurveyAnswer).where(SurveyAnswer.case_id == case_id, SurveyAnswer.status == ASKED)
    return session.scalar(stmt)


def latest_for_case(session: Session, case_id: int) -> SurveyAnswer | None:
    """The survey of the case's most recent churn (answered or not)."""
    stmt = (
        select(SurveyAnswer)
        .where(SurveyAnswer.case_id == case_id)
        .order_by(SurveyAnswer.churn_number.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def for_case(session: Session, case_id: int) -> list[SurveyAnswer]:
    stmt = (
        select(SurveyAnswer)
        .where(SurveyAnswer.case_id == case_id)
        .order_by(SurveyAnswer.churn_number)
    )
    return list(session.scalars(stmt))


def ask(
    session: Session,
    case_id: int,
    *,
    now: datetime,
    asked_to: str | None,
    involuntary: bool = False,
    arr_lost: Decimal | None = None,
    stated_reason: str | None = None,
    tried: str | None = None,
) -> SurveyAnswer | None:
    """Open the survey for the case's next churn; None when one is already open.

    `stated_reason` and `tried` are the pre-fills the modal starts from. A concurrent
    second `ask` for the same case loses on the unique index and also gets None.
    """
    if open_for_case(session, case_id) is not None:
        return None
    latest = session.scalar(
        select(func.max(SurveyAnswer.churn_number)).where(SurveyAnswer.case_id == case_id)
    )
    row = SurveyAnswer(
        case_id=case_id,
        churn_number=(latest or 0) + 1,
        status=ASKED,
        involuntary=involuntary,
        asked_to=asked_to,
        asked_at=now,
        arr_lost=arr_lost,
        stated_reason=stated_reason,
        tried=tried,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def answer(
    session: Session, answer_id: int, values: Mapping[str, Any], *, actor: str, now: datetime
) -> bool:
    """Save the first submission of an open survey; False if it was already answered.

    `values` holds ANSWER_FIELDS only (validated upstream: nothing unvalidated is saved).
    """
    _only_answer_fields(values)
    stmt = (
        update(SurveyAnswer)
        .where(SurveyAnswer.id == answer_id, SurveyAnswer.status == ASKED)
        .values(**values, status=ANSWERED, answered_by=actor, answered_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]


def withdraw(session: Session, answer_id: int, *, now: datetime) -> bool:
    """Close an unanswered survey because its case was reopened; False if not open."""
    stmt = (
        update(SurveyAnswer)
        .where(SurveyAnswer.id == answer_id, SurveyAnswer.status == ASKED)
        .values(status=WITHDRAWN, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]


def amend(
    session: Session,
    answer: SurveyAnswer,
    values: Mapping[str, Any],
    *,
    actor: str,
    now: datetime,
) -> dict[str, list[Any]]:
    """Apply an edit to an answered survey; returns `{field: [old, new]}` for what changed
    (empty when nothing did, and then nothing is written)."""
    _only_answer_fields(values)
    changes = {
        name: [getattr(answer, name), value]
        for name, value in values.items()
        if getattr(answer, name) != value
    }
    if not changes:
        return {}
    for name, (_old, new) in changes.items():
        setattr(answer, name, new)
    answer.updated_by, answer.updated_at = actor, now
    session.add(SurveyEdit(answer_id=answer.id, at=now, actor=actor, changes=_jsonable(changes)))
    session.flush()
    return changes


def edits(session: Session, answer_id: int) -> list[SurveyEdit]:
    stmt = select(SurveyEdit).where(SurveyEdit.answer_id == answer_id).order_by(SurveyEdit.id)
    return list(session.scalars(stmt))


def open_surveys(session: Session, limit: int = 100) -> list[SurveyAnswer]:
    """Unanswered surveys, oldest first (for `check` and App Home)."""
    stmt = (
        select(SurveyAnswer)
        .where(SurveyAnswer.status == ASKED)
        .order_by(SurveyAnswer.asked_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


# --- competitors ------------------------------------------------------------------------------


def competitor_names(session: Session, key_fragment: str = "", limit: int = 20) -> list[str]:
    """Competitors named before whose normalised key contains `key_fragment` (already
    normalised by the caller), one per key, shown as most often typed; most named first."""
    where = [SurveyAnswer.competitor_key.is_not(None)]
    if key_fragment:
        where.append(SurveyAnswer.competitor_key.contains(key_fragment, autoescape=True))
    stmt = (
        select(SurveyAnswer.competitor_key, SurveyAnswer.competitor, func.count())
        .where(*where)
        .group_by(SurveyAnswer.competitor_key, SurveyAnswer.competitor)
    )
    spellings: dict[str, Counter[str]] = {}
    for key, typed, count in session.execute(stmt):
        spellings.setdefault(key, Counter())[typed] += count
    ranked = sorted(spellings.items(), key=lambda kv: (-kv[1].total(), kv[0]))
    return [_most_common(counter) for _key, counter in ranked[:limit]]


def _most_common(counter: Counter[str]) -> str:
    best = max(counter.values())
    return min(name for name, n in counter.items() if n == best)


# --- aggregations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loss:
    """One answered survey in a window, with what a digest line needs."""

    answer_id: int
    case_id: int
    account_name: str
    account_external_id: str
    currency: str
    arr_lost: Decimal | None
    root_cause: str
    stated_reason: str | None
    competitor: str | None
    competitor_key: str | None
    controllable: bool | None
    churned_at: datetime
    permalink: str | None


@dataclass(frozen=True)
class CauseTotal:
    """Answered surveys per root cause and currency in a window; `arr` sums known ARR."""

    root_cause: str
    currency: str
    count: int
    arr: Decimal


def _answered_in(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [
        SurveyAnswer.status == ANSWERED,
        SurveyAnswer.root_cause.is_not(None),
        SurveyAnswer.asked_at >= start,
        SurveyAnswer.asked_at < end,
    ]


def losses(
    session: Session,
    start: datetime,
    end: datetime,
    causes: Collection[str] | None = None,
) -> list[Loss]:
    """Answered surveys of churns in `[start, end)`, optionally only for some root causes
    (one reason owner's), largest ARR first."""
    where = _answered_in(start, end)
    if causes is not None:
        where.append(SurveyAnswer.root_cause.in_(list(causes)))
    stmt = (
        select(SurveyAnswer, Account, OutboxMessage.permalink)
        .join(Case, Case.id == SurveyAnswer.case_id)
        .join(Account, Account.id == Case.account_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == Case.root_message_id)
        .where(*where)
        .order_by(SurveyAnswer.arr_lost.desc().nulls_last(), SurveyAnswer.id)
    )
    return [
        Loss(
            answer_id=row.id,
            case_id=row.case_id,
            account_name=account.name,
            account_external_id=account.external_id,
            currency=account.currency,
            arr_lost=row.arr_lost,
            root_cause=row.root_cause or "",
            stated_reason=row.stated_reason,
            competitor=row.competitor,
            competitor_key=row.competitor_key,
            controllable=row.controllable,
            churned_at=row.asked_at,
            permalink=link,
        )
        for row, account, link in session.execute(stmt)
    ]


def cause_totals(
    session: Session,
    start: datetime,
    end: datetime,
    causes: Collection[str] | None = None,
) -> list[CauseTotal]:
    """Count and ARR lost per root cause (and currency) in `[start, end)`, most losses
    first: the report's "top root causes" and each digest's headline."""
    where = _answered_in(start, end)
    if causes is not None:
        where.append(SurveyAnswer.root_cause.in_(list(causes)))
    count = func.count(SurveyAnswer.id)
    stmt = (
        select(
            SurveyAnswer.root_cause,
            Account.currency,
            count,
            func.coalesce(func.sum(SurveyAnswer.arr_lost), 0),
        )
        .join(Case, Case.id == SurveyAnswer.case_id)
        .join(Account, Account.id == Case.account_id)
        .where(*where)
        .group_by(SurveyAnswer.root_cause, Account.currency)
        .order_by(count.desc(), SurveyAnswer.root_cause)
    )
    return [
        CauseTotal(root_cause=cause, currency=currency, count=n, arr=Decimal(arr))
        for cause, currency, n, arr in session.execute(stmt)
    ]


def competitor_counts(
    session: Session,
    start: datetime,
    end: datetime,
    causes: Collection[str] | None = None,
) -> list[tuple[str, int]]:
    """Competitors named in `[start, end)`, counted by normalised key and shown as most
    often typed; most named first."""
    counts: dict[str, Counter[str]] = {}
    for loss in losses(session, start, end, causes):
        if loss.competitor_key and loss.competitor:
            counts.setdefault(loss.competitor_key, Counter())[loss.competitor] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1].total(), kv[0]))
    return [(_most_common(counter), counter.total()) for _key, counter in ranked]


def _only_answer_fields(values: Mapping[str, Any]) -> None:
    unknown = set(values) - set(ANSWER_FIELDS)
    if unknown:
        raise ValueError(f"not survey answer fields: {', '.join(sorted(unknown))}")


def _jsonable(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {
        name: [v if v is None or isinstance(v, bool | int | str) else str(v) for v in pair]
        for name, pair in changes.items()
    }
