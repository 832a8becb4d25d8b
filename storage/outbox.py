"""Outbox queries: add rows, claim the next deliverable one, record the outcome."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage.db import OUTBOX_QUEUED
from storage.models import OutboxMessage

UPDATE_METHOD = "chat.update"


def add(
    session: Session,
    *,
    method: str,
    channel: str,
    payload: dict[str, Any],
    now: datetime,
    parent: OutboxMessage | None = None,
    flush: bool = True,
) -> OutboxMessage:
    """Queue a call; `parent` is the message to reply under (or to edit, for chat.update).
    The row has its id when returned, unless `flush` is False (the caller does not need it:
    the rows of one change are then inserted together when the unit of work flushes)."""
    row = OutboxMessage(
        method=method,
        channel=channel,
        payload=payload,
        parent_id=None,
        state="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    if parent is not None:
        if parent.id is None:
            session.flush()
        row.parent_id = parent.id
    session.add(row)
    if flush:
        session.flush()
    session.info[OUTBOX_QUEUED] = True  # its commit wakes the deliverer (storage.db)
    return row


def _claimable(now: datetime) -> Any:
    parent = aliased(OutboxMessage)
    parent_ready = or_(
        OutboxMessage.parent_id.is_(None),
        exists().where(
            and_(parent.id == OutboxMessage.parent_id, parent.state.in_(("sent", "failed")))
        ),
    )
    due = or_(
        and_(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == "sending", OutboxMessage.claimed_until < now),
    )
    return and_(due, parent_ready)


def claim_next(session: Session, now: datetime, lease: timedelta) -> OutboxMessage | None:
    """Take the oldest deliverable row; a conditional UPDATE makes one claimer win."""
    stmt = select(OutboxMessage.id).where(_claimable(now)).order_by(OutboxMessage.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=OutboxMessage)
    row_id = session.scalar(stmt)
    if row_id is None:
        return None
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, _claimable(now))
        .values(state="sending", claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(OutboxMessage, row_id, populate_existing=True)


def has_newer_update(session: Session, row: OutboxMessage) -> bool:
    """An edit that a later edit of the same message will overwrite need not be sent."""
    newer = select(func.count()).where(
        OutboxMessage.method == UPDATE_METHOD,
        OutboxMessage.parent_id == row.parent_id,
        OutboxMessage.id > row.id,
        OutboxMessage.state.in_(("pending", "sending")),
    )
    return bool(session.scalar(newer))


def finish(session: Session, row: OutboxMessage, **values: Any) -> None:
    """Record the outcome of a claimed row, then commit."""
    for key, value in values.items():
        setattr(row, key, value)
    row.claimed_until = None
    session.commit()


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    ).all()
    return {state: n for state, n in rows}


def failed(session: Session, limit: int = 20) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.state == "failed")
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
