"""Cache of people references (emails, @groups) resolved to Slack user IDs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage.models import PeopleRef


def cached(session: Session, ref: str, fresh_after: datetime) -> list[str] | None:
    """The cached user IDs for `ref` if resolved after `fresh_after`, else None."""
    row = session.get(PeopleRef, ref)
    if row is None or row.resolved_at < fresh_after:
        return None
    return list(row.user_ids)


def remember(session: Session, ref: str, user_ids: list[str], now: datetime) -> None:
    row = session.get(PeopleRef, ref)
    if row is None:
        session.add(PeopleRef(ref=ref, user_ids=user_ids, resolved_at=now))
    else:
        row.user_ids = user_ids
        row.resolved_at = now
