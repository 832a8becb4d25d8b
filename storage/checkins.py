"""Save check-in queries (docs/reports.md, *Did the save last?*): the rows a save schedules, the one
answer that wins, and what Stripe already knows about the account. Nothing here commits:
the caller's unit of work does."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from storage.models import SaveCheckin, StripeSubscription
from storage.vocab import CheckinAnswer, CheckinState

OPEN = (CheckinState.PENDING, CheckinState.ASKED)
LIVE_SUBSCRIPTION = ("active", "trialing")


def replace_for_save(session: Session, case_id: int, rows: list[dict[str, Any]]) -> list[int]:
    """The check-ins of a new save of `case_id` (each a dict of SaveCheckin's columns),
    replacing any of an earlier save of the same case; returns their ids in order."""
    session.execute(delete(SaveCheckin).where(SaveCheckin.case_id == case_id))
    added = [SaveCheckin(case_id=case_id, state=CheckinState.PENDING, **row) for row in rows]
    session.add_all(added)
    session.flush()
    return [row.id for row in added]


def get(session: Session, checkin_id: int) -> SaveCheckin | None:
    """Unlocked: a change locks the case first, then refreshes this with a lock."""
    return session.get(SaveCheckin, checkin_id)


def for_case(session: Session, case_id: int) -> list[SaveCheckin]:
    """The case's check-ins, earliest due first, as the database has them now (bulk
    updates in this session, such as `churn_later`, included)."""
    stmt = select(SaveCheckin).where(SaveCheckin.case_id == case_id)
    stmt = stmt.order_by(SaveCheckin.due_at, SaveCheckin.id)
    return list(session.scalars(stmt.execution_options(populate_existing=True)))


def withdraw(session: Session, case_id: int) -> int:
    """Unanswered check-ins of a case that was reopened: withdrawn; returns how many."""
    result = session.execute(
        update(SaveCheckin)
        .where(SaveCheckin.case_id == case_id, SaveCheckin.state.in_(OPEN))
        .values(state=CheckinState.WITHDRAWN)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def answer(
    session: Session,
    checkin_id: int,
    *,
    answer: str,
    by: str,
    at: datetime,
    new_arr: Decimal | None = None,
) -> bool:
    """Record the answer unless one was recorded first (or the check-in was withdrawn)."""
    result = session.execute(
        update(SaveCheckin)
        .where(SaveCheckin.id == checkin_id, SaveCheckin.state.in_(OPEN))
        .values(
            state=CheckinState.ANSWERED,
            answer=answer,
            new_arr=new_arr,
            answered_by=by,
            answered_at=at,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def churn_later(session: Session, checkin: SaveCheckin) -> int:
    """A churned answer also answers the case's unanswered check-ins due after it (the
    account is gone at those checkpoints too); returns how many."""
    result = session.execute(
        update(SaveCheckin)
        .where(
            SaveCheckin.case_id == checkin.case_id,
            SaveCheckin.state.in_(OPEN),
            SaveCheckin.due_at >= checkin.due_at,
            SaveCheckin.id != checkin.id,
        )
        .values(
            state=CheckinState.ANSWERED,
            answer=CheckinAnswer.CHURNED,
            answered_by=checkin.answered_by,
            answered_at=checkin.answered_at,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def live_subscriptions(
    session: Session, account_id: int, at: datetime
) -> list[tuple[str, Decimal | None]]:
    """(subscription id, ARR) of the account's Stripe subscriptions that are active (or
    trialing) and not set to end before `at` (one ending at its period's end with no date
    known does not count): Stripe's own answer to "still a customer?"."""
    stmt = select(StripeSubscription.subscription_id, StripeSubscription.arr).where(
        StripeSubscription.account_id == account_id,
        StripeSubscription.status.in_(LIVE_SUBSCRIPTION),
        or_(
            and_(
                StripeSubscription.cancel_at.is_(None),
                StripeSubscription.cancel_at_period_end.is_(False),
            ),
            StripeSubscription.cancel_at > at,
        ),
    )
    return [(sid, arr) for sid, arr in session.execute(stmt)]
