"""Queries on `slack_users`: what Slack said about each user, read in bulk and upserted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.tables.people import SlackUser

FACT_COLUMNS = (
    "found",
    "team_id",
    "enterprise_id",
    "teams",
    "deleted",
    "is_bot",
    "is_app_user",
    "is_stranger",
    "tz",
    "status_emoji",
    "status_expiration",
)


def known(session: Session, user_ids: Iterable[str]) -> dict[str, SlackUser]:
    """The stored rows of these users (one query), by user ID; unknown ones are absent."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = session.scalars(select(SlackUser).where(SlackUser.user_id.in_(wanted)))
    return {row.user_id: row for row in rows}


def remember(session: Session, facts: Mapping[str, Any], now: datetime) -> None:
    """Insert or replace one user's facts (`user_id` plus FACT_COLUMNS), checked now (UTC).
    One upsert, so two processes learning the same user never collide."""
    values = {"user_id": facts["user_id"], **{c: facts[c] for c in FACT_COLUMNS}}
    values["checked_at"] = now
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(SlackUser).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SlackUser.user_id],
        set_={c: stmt.excluded[c] for c in (*FACT_COLUMNS, "checked_at")},
    )
    session.execute(stmt)
