"""Offer queries: a case's offers, and the one decision that wins a race."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import Case, Offer
from storage.vocab import OfferOutcome, OfferStatus


def get(session: Session, offer_id: int) -> Offer | None:
    return session.get(Offer, offer_id)


def for_case(session: Session, case_id: int) -> list[Offer]:
    return list(session.scalars(select(Offer).where(Offer.case_id == case_id).order_by(Offer.id)))


def decide(session: Session, offer_id: int, *, status: str, **values: Any) -> bool:
    """Move a pending offer to a decision; False when someone else decided first."""
    result = session.execute(
        update(Offer)
        .where(Offer.id == offer_id, Offer.status == OfferStatus.PENDING)
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def record_outcome(
    session: Session, offer_id: int, outcome: str, at: datetime | None = None
) -> bool:
    """Record the customer's answer once (and when, UTC); False if it was already recorded."""
    result = session.execute(
        update(Offer)
        .where(Offer.id == offer_id, Offer.outcome.is_(None))
        .values(outcome=outcome, outcome_at=at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def accepted_cost(session: Session, case_id: int) -> Decimal | None:
    """What the accepted offer costs (the counter value when the approver countered)."""
    stmt = (
        select(Offer)
        .where(Offer.case_id == case_id, Offer.outcome == OfferOutcome.ACCEPTED)
        .order_by(Offer.id.desc())
    )
    offer = session.scalars(stmt).first()
    if offer is None:
        return None
    return offer.counter_value if offer.counter_value is not None else offer.value


def accepted_for_account(
    session: Session, account_id: int, since: datetime
) -> list[tuple[Offer, datetime]]:
    """The account's accepted offers (its concessions) whose answer came at `since` or
    later, with that time (the answer's, else the decision's or the proposal's), oldest
    first."""
    when = func.coalesce(Offer.outcome_at, Offer.decided_at, Offer.created_at)
    stmt = (
        select(Offer, when)
        .join(Case, Case.id == Offer.case_id)
        .where(Case.account_id == account_id, Offer.outcome == OfferOutcome.ACCEPTED, when >= since)
        .order_by(when, Offer.id)
    )
    return [(offer, at) for offer, at in session.execute(stmt)]
