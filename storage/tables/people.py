"""People: references (emails, @groups) resolved to Slack user ids (storage/people.py),
and what Slack said about each user it was asked about (`users.info`, `user_change`,
`team_join`; storage/slack_users.py): the facts that decide whether someone is a real
person of this workspace (bot/people/standing.py), their time zone and their status
(docs/hours.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class PeopleRef(Base):
    """A people reference (an email or an @group) resolved to Slack user IDs, cached
    (storage/people.py); not to be confused with one resolved person,
    `bot.people.standing.Person`."""

    __tablename__ = "people"

    ref: Mapped[str] = mapped_column(String(320), primary_key=True)
    user_ids: Mapped[list[str]] = mapped_column(JSON)
    resolved_at: Mapped[datetime]


class SlackUser(Base):
    """One Slack user as last seen. `found` False: Slack answered `user_not_found`.
    `teams` are the Enterprise Grid workspaces the user belongs to; `checked_at` (UTC) is
    when Slack last said so."""

    __tablename__ = "slack_users"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    found: Mapped[bool] = mapped_column(Boolean, default=True)
    team_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_app_user: Mapped[bool] = mapped_column(Boolean, default=False)
    is_stranger: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_at: Mapped[datetime]
    tz: Mapped[str | None] = mapped_column(String(64))
    """The user's IANA time zone as Slack says (`tz`), e.g. "Pacific/Auckland"."""
    status_emoji: Mapped[str | None] = mapped_column(String(100))
    status_expiration: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """When the Slack status ends (Unix seconds; 0: never), docs/hours.md."""
    slack_updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """When Slack last changed the user object these facts are from (its `updated`, Unix
    seconds; 0: unknown): older facts never replace these (storage/slack_users.py)."""
