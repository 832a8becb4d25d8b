"""Outbound webhook delivery queries: queue a row per endpoint, claim the next due one (one
claimer wins), record each attempt, and what `check` shows per endpoint."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.db import OUTBOX_QUEUED
from storage.tables.outbound import WebhookDelivery
from storage.vocab import DeliveryState


def add(
    session: Session, *, event_id: str, event_type: str, url: str, body: str, now: datetime
) -> None:
    """Queue one delivery in the caller's unit of work (it commits with the change)."""
    session.add(
        WebhookDelivery(
            event_id=event_id,
            event_type=event_type,
            url=url,
            body=body,
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    session.info[OUTBOX_QUEUED] = True  # its commit wakes the delivery loop (storage.db)


def _claimable(now: datetime) -> Any:
    return or_(
        and_(
            WebhookDelivery.state == DeliveryState.PENDING, WebhookDelivery.next_attempt_at <= now
        ),
        and_(WebhookDelivery.state == DeliveryState.SENDING, WebhookDelivery.claimed_until < now),
    )


def claim_next(
    session: Session, now: datetime, lease: timedelta, skip: Collection[str] = ()
) -> WebhookDelivery | None:
    """Take the oldest due delivery (or one whose sender died: its lease ran out) not for a
    URL in `skip`, and commit the claim; None when nothing is due. A conditional UPDATE makes
    one claimer win."""
    stmt = select(WebhookDelivery.id).where(_claimable(now)).order_by(WebhookDelivery.id)
    if skip:
        stmt = stmt.where(WebhookDelivery.url.not_in(list(skip)))
    stmt = stmt.limit(1)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    row_id = session.scalar(stmt)
    if row_id is None:
        session.commit()
        return None
    claimed = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == row_id, _claimable(now))
        .values(
            state=DeliveryState.SENDING,
            claimed_until=now + lease,
            attempts=WebhookDelivery.attempts + 1,
        )
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(WebhookDelivery, row_id, populate_existing=True)


def finish(
    session: Session,
    row_id: int,
    attempt: int,
    *,
    state: str,
    now: datetime,
    status: int | None,
    error: str | None,
    retry_at: datetime | None = None,
) -> bool:
    """Record an attempt's outcome for the claim `attempt` (False when another sender has
    re-claimed the row meanwhile) and commit."""
    values: dict[str, Any] = {
        "state": state,
        "claimed_until": None,
        "last_attempt_at": now,
        "last_status": status,
        "last_error": error,
    }
    if state == DeliveryState.DELIVERED:
        values["delivered_at"] = now
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    done = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == row_id,
            WebhookDelivery.attempts == attempt,
            WebhookDelivery.state == DeliveryState.SENDING,
        )
        .values(**values)
    )
    session.commit()
    return done.rowcount == 1  # type: ignore[attr-defined]


@dataclass(frozen=True)
class EndpointState:
    """What `check` says about one endpoint: its last attempted delivery (None: none yet)
    and how many deliveries wait or failed."""

    url: str
    last: WebhookDelivery | None
    waiting: int
    failed: int


def _last_attempted(url: str) -> Any:
    """The endpoint's last attempted delivery (what `check` shows), as a query."""
    return (
        select(WebhookDelivery)
        .where(WebhookDelivery.url == url, WebhookDelivery.last_attempt_at.is_not(None))
        .order_by(WebhookDelivery.last_attempt_at.desc(), WebhookDelivery.id.desc())
        .limit(1)
    )


def endpoint_state(session: Session, url: str) -> EndpointState:
    last = session.scalars(_last_attempted(url)).first()
    counts = dict(
        session.execute(
            select(WebhookDelivery.state, func.count())
            .where(WebhookDelivery.url == url)
            .group_by(WebhookDelivery.state)
        ).all()
    )
    waiting = counts.get(DeliveryState.PENDING, 0) + counts.get(DeliveryState.SENDING, 0)
    return EndpointState(url, last, waiting, counts.get(DeliveryState.FAILED, 0))


def for_event(session: Session, event_type: str | None = None) -> list[WebhookDelivery]:
    """Deliveries in the order they were queued (tests, support)."""
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if event_type is not None:
        stmt = stmt.where(WebhookDelivery.event_type == event_type)
    return list(session.scalars(stmt))


def prune(session: Session, before: datetime) -> int:
    """Delete deliveries delivered before `before`, except each endpoint's last attempted
    one (so `check` still shows it); pending, sending and failed ones stay. Returns how
    many were deleted; the caller commits."""
    old = and_(
        WebhookDelivery.state == DeliveryState.DELIVERED, WebhookDelivery.delivered_at < before
    )
    urls = session.scalars(select(WebhookDelivery.url).where(old).distinct()).all()
    keep = [
        row_id
        for url in urls
        if (row_id := session.scalar(_last_attempted(url).with_only_columns(WebhookDelivery.id)))
    ]
    gone = session.execute(delete(WebhookDelivery).where(old, WebhookDelivery.id.not_in(keep)))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
