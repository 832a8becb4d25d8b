"""App Home queries: the follow-ups still to come for one person."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from storage.models import OPEN_STATUSES, Account, Case, ScheduledStep


def pending_followups(
    session: Session, user: str, limit: int, *, personal_kind: str
) -> tuple[list[tuple[ScheduledStep, Case, Account]], int]:
    """Pending steps on open cases, soonest first, and how many there are in all.

    A person's steps are those of the cases they own or are CSM of (the same "mine" as
    `/churn cases mine`), except that a `personal_kind` step (a reminder someone set for
    themselves, `payload.person`) belongs to that person alone, on whichever case.
    """
    person = ScheduledStep.payload["person"].as_string()
    stmt = (
        select(ScheduledStep, Case, Account)
        .join(Case, Case.id == ScheduledStep.case_id)
        .join(Account, Account.id == Case.account_id)
        .where(
            ScheduledStep.state == "pending",
            Case.status.in_(OPEN_STATUSES),
            or_(
                and_(
                    ScheduledStep.kind != personal_kind,
                    or_(Case.owner == user, Case.csm == user),
                ),
                and_(ScheduledStep.kind == personal_kind, person == user),
            ),
        )
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(ScheduledStep.due_at, ScheduledStep.id).limit(limit))
    return [(step, case, account) for step, case, account in rows], total
