"""Queries on `slack_users`: what Slack said about each user, read in bulk and upserted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import case, or_, select
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


def remember(session: Session, facts: Mapping[str, Any], now: datetime) -> bool:
    """Insert or replace one user's facts (`user_id`, FACT_COLUMNS and `updated`, Slack's
    Unix seconds, 0: unknown), checked now (UTC). One upsert, so two processes learning the
    same user never collide. Facts older than the stored ones (both `updated` known, the
    stored greater) replace nothing: Slack retries events, so an old `user_change` can come
    after a newer one. Returns whether the facts were kept. Unknown `updated` replaces, but
    the stored `updated` stays, so a late old event is still told apart."""
    values = {"user_id": facts["user_id"], **{c: facts[c] for c in FACT_COLUMNS}}
    values["slack_updated"] = int(facts.get("updated") or 0)
    values["checked_at"] = now
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(SlackUser).values(**values)
    incoming = stmt.excluded.slack_updated
    stmt = stmt.on_conflict_do_update(
        index_elements=[SlackUser.user_id],
        set_={
            **{c: stmt.excluded[c] for c in (*FACT_COLUMNS, "checked_at")},
            "slack_updated": case((incoming > 0, incoming), else_=SlackUser.slack_updated),
        },
        where=or_(incoming == 0, SlackUser.slack_updated <= incoming),
    ).returning(SlackUser.user_id)
    return session.execute(stmt).first() is not None
