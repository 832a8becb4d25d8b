"""What holds delivery back, as rows every process sees: the workspace's pause and the
channels whose messages wait (storage/tables/outbox_holds.py). The deliverer writes them inside
the unit of work that records the refused row; `check` and `/healthz` read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.db import OUTBOX_QUEUED
from storage.models import DeliveryPause, OutboxMessage, WaitingChannel
from storage.tables.outbox_holds import WORKSPACE
from storage.vocab import OutboxState


@dataclass(frozen=True)
class Pause:
    """The workspace's pause as read: why, since when, until when (UTC), refusals so far."""

    reason: str
    since: datetime
    until: datetime
    refusals: int


def pause(session: Session) -> Pause | None:
    row = session.get(DeliveryPause, WORKSPACE, populate_existing=True)
    if row is None:
        return None
    return Pause(row.reason, row.since, row.until, row.refusals)


def set_pause(session: Session, reason: str, now: datetime, until: datetime) -> bool:
    """Pause (or keep paused) the workspace until `until`; True when this starts a pause.
    An upsert, so two deliverers refused at once keep one row, and only one of them hears
    that it started the pause."""
    insert = _insert(session, DeliveryPause)
    stmt = insert.values(
        scope=WORKSPACE, reason=reason, since=now, until=until, refusals=1
    ).on_conflict_do_update(
        index_elements=["scope"],
        set_={
            "reason": insert.excluded.reason,
            "until": insert.excluded.until,
            "refusals": DeliveryPause.refusals + 1,
        },
    )
    return session.scalar(stmt.returning(DeliveryPause.refusals)) == 1


def end_pause(session: Session) -> Pause | None:
    """Delete the pause after a success; the pause that ended, if there was one."""
    ended = pause(session)
    if ended is not None:
        session.execute(delete(DeliveryPause).where(DeliveryPause.scope == WORKSPACE))
    return ended


def waiting_channel(session: Session, channel: str) -> WaitingChannel | None:
    return session.get(WaitingChannel, channel, populate_existing=True)


def hold_channel(
    session: Session, channel: str, reason: str, now: datetime, next_try_at: datetime
) -> bool:
    """Make `channel`'s messages wait until `next_try_at`; True when it was not waiting
    (an upsert, as `set_pause`)."""
    insert = _insert(session, WaitingChannel)
    stmt = insert.values(
        channel=channel, reason=reason, since=now, next_try_at=next_try_at, tries=1
    ).on_conflict_do_update(
        index_elements=["channel"],
        set_={
            "reason": insert.excluded.reason,
            "next_try_at": insert.excluded.next_try_at,
            "tries": WaitingChannel.tries + 1,
        },
    )
    return session.scalar(stmt.returning(WaitingChannel.tries)) == 1


def _insert(session: Session, table: type) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def release_channel(session: Session, channel: str) -> WaitingChannel | None:
    """The channel took a message: its other messages go too. The row it had, if any."""
    row = waiting_channel(session, channel)
    if row is not None:
        session.delete(row)
    return row


def try_channel_now(session: Session, channel: str, now: datetime) -> bool:
    """Try a waiting channel's messages at once (Slack says it changed); the commit wakes
    the deliverer. False if the channel was not waiting."""
    result = session.execute(
        update(WaitingChannel).where(WaitingChannel.channel == channel).values(next_try_at=now)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        session.info[OUTBOX_QUEUED] = True
        return True
    return False


@dataclass(frozen=True)
class Waiting:
    """A waiting channel as `check` shows it: Slack's reason, since when, the next try (UTC)
    and how many messages wait to go there."""

    channel: str
    reason: str
    since: datetime
    next_try_at: datetime
    messages: int


def waiting_channels(session: Session) -> list[Waiting]:
    waiting = (
        select(OutboxMessage.channel, func.count().label("n"))
        .where(OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING)))
        .group_by(OutboxMessage.channel)
    )
    counted = waiting.subquery()
    stmt = (
        select(WaitingChannel, func.coalesce(counted.c.n, 0))
        .outerjoin(counted, counted.c.channel == WaitingChannel.channel)
        .order_by(WaitingChannel.since)
    )
    return [
        Waiting(row.channel, row.reason, row.since, row.next_try_at, int(n))
        for row, n in session.execute(stmt)
    ]
