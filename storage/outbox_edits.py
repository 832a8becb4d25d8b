"""The in-place edits (`chat.update`, relation "thread") queued for an outbox message: an
edit a newer one will overwrite need not go, nor the edit that brings a message its link
once the message was edited since (bot/outbox/courier.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import OutboxMessage
from storage.outbox import THREAD, UPDATE_METHOD
from storage.vocab import OutboxState

UNSENT = (OutboxState.PENDING, OutboxState.SENDING)


def _edits(message_id: int | None, states: tuple[str, ...]) -> Any:
    """How many in-place edits of message `message_id` are in one of `states`."""
    return select(func.count()).where(
        OutboxMessage.method == UPDATE_METHOD,
        OutboxMessage.relation == THREAD,
        OutboxMessage.parent_id == message_id,
        OutboxMessage.state.in_(states),
    )


def has_newer_update(session: Session, row: OutboxMessage) -> bool:
    """An edit that a later edit of the same message will overwrite need not be sent."""
    newer = _edits(row.parent_id, UNSENT).where(OutboxMessage.id > row.id)
    return bool(session.scalar(newer))


def edited_since_posted(session: Session, message_id: int) -> bool:
    """Whether message `message_id` was edited in place (sent, or on its way) since it was
    posted: the edit that brings its link carries the content as first posted, which that
    edit replaced (a nudge's buttons retired, a survey ask answered)."""
    return bool(session.scalar(_edits(message_id, (*UNSENT, OutboxState.SENT))))
