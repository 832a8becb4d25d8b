"""App Home queries: the follow-ups still to come for one person, and when leaders' App
Homes were last refreshed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import OPEN_STATUSES, Account, Case, CaseEvent, HomeView, ScheduledStep
from storage.vocab import StepState


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
            ScheduledStep.state == StepState.PENDING,
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


# -- leaders' App Home refreshes ----------------------------------------------------------


def latest_case_event(session: Session) -> int:
    """The id of the newest case timeline event (every case change writes one); 0 if none."""
    return int(session.scalar(select(func.max(CaseEvent.id))) or 0)


def stale_homes(
    session: Session, users: Sequence[str], event_id: int, before: datetime
) -> list[str]:
    """Of `users`, those whose App Home shows a case event older than `event_id` and was
    last refreshed before `before`, or never refreshed here."""
    shown = {
        user: (at, seen)
        for user, at, seen in session.execute(
            select(HomeView.user_id, HomeView.published_at, HomeView.event_id).where(
                HomeView.user_id.in_(list(users))
            )
        )
    }
    return [u for u in users if u not in shown or (shown[u][1] < event_id and shown[u][0] < before)]


def claim_home(session: Session, user: str, event_id: int, now: datetime, before: datetime) -> bool:
    """Record that `user`'s App Home is refreshed now, unless another process did so since
    `before` or it already shows `event_id` (True: this caller publishes). One conditional
    upsert, so racing ticks publish once."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(HomeView).values(user_id=user, published_at=now, event_id=event_id)
    stmt = stmt.on_conflict_do_update(
        index_elements=[HomeView.user_id],
        set_={"published_at": now, "event_id": event_id},
        where=and_(HomeView.published_at < before, HomeView.event_id < event_id),
    ).returning(HomeView.user_id)
    return session.execute(stmt).scalar() is not None
