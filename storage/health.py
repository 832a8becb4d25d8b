"""What `/healthz` asks of the outbox: how long the oldest due message has waited, and when
a message last went out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import OutboxMessage, WaitingChannel
from storage.vocab import OutboxState


def oldest_due_message(session: Session, now: datetime) -> datetime | None:
    """When the oldest message that could be sent now became due (None: none waits).
    Replies are left out (they wait for their root, which is counted), and so are channels
    Slack refuses (archived, the app not in it: they wait for people, not for a restart)."""
    stmt = select(func.min(OutboxMessage.next_attempt_at)).where(
        OutboxMessage.state == OutboxState.PENDING,
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.parent_id.is_(None),
        OutboxMessage.channel.not_in(select(WaitingChannel.channel)),
    )
    return session.scalar(stmt)


def last_sent(session: Session) -> datetime | None:
    """When a message last went out (None: never): a backlog still moving is not stalled."""
    return session.scalar(select(func.max(OutboxMessage.sent_at)))
