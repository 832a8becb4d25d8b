"""App Home queries: the follow-ups still to come on a person's open cases."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.models import OPEN_STATUSES, Account, Case, ScheduledStep


def pending_followups(
    session: Session, user: str, limit: int
) -> tuple[list[tuple[ScheduledStep, Case, Account]], int]:
    """Pending steps of the open cases `user` owns or is CSM of, soonest first, and how many
    there are in all (the same "mine" as `/churn cases mine`)."""
    stmt = (
        select(ScheduledStep, Case, Account)
        .join(Case, Case.id == ScheduledStep.case_id)
        .join(Account, Account.id == Case.account_id)
        .where(
            ScheduledStep.state == "pending",
            Case.status.in_(OPEN_STATUSES),
            or_(Case.owner == user, Case.csm == user),
        )
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(ScheduledStep.due_at, ScheduledStep.id).limit(limit))
    return [(step, case, account) for step, case, account in rows], total
