"""Slack installations (OAuth mode): the three tables of slack_sdk's SQLAlchemy
installation and OAuth state stores, declared here column for column as slack_sdk 3.47
builds them (`SQLAlchemyInstallationStore.build_installations_table`, `build_bots_table`,
`SQLAlchemyOAuthStateStore.build_oauth_states_table`; tests/setup/test_installs.py compares
them), so Alembic creates them and slack_sdk reads and writes them. Their times are naive
UTC, as slack_sdk keeps them.

`slack_uninstalls` is Savedesk's own: which installation Slack said was removed (the
`app_uninstalled` and `tokens_revoked` events), so `check` can say why nothing is delivered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table, func
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

INSTALLATIONS = "slack_installations"
BOTS = "slack_bots"
STATES = "slack_oauth_states"
_ID = 32
_NAME = 200

slack_installations = Table(
    INSTALLATIONS,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(_ID), nullable=False),
    Column("app_id", String(_ID), nullable=False),
    Column("enterprise_id", String(_ID)),
    Column("enterprise_name", String(_NAME)),
    Column("enterprise_url", String(_NAME)),
    Column("team_id", String(_ID)),
    Column("team_name", String(_NAME)),
    Column("bot_token", String(_NAME)),
    Column("bot_id", String(_ID)),
    Column("bot_user_id", String(_ID)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(_NAME)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(_ID), nullable=False),
    Column("user_token", String(_NAME)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(_NAME)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(_NAME)),
    Column("incoming_webhook_channel", String(_NAME)),
    Column("incoming_webhook_channel_id", String(_NAME)),
    Column("incoming_webhook_configuration_url", String(_NAME)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(_ID)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(
        f"{INSTALLATIONS}_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"
    ),
)

slack_bots = Table(
    BOTS,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(_ID), nullable=False),
    Column("app_id", String(_ID), nullable=False),
    Column("enterprise_id", String(_ID)),
    Column("enterprise_name", String(_NAME)),
    Column("team_id", String(_ID)),
    Column("team_name", String(_NAME)),
    Column("bot_token", String(_NAME)),
    Column("bot_id", String(_ID)),
    Column("bot_user_id", String(_ID)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(_NAME)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(f"{BOTS}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    STATES,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(_NAME), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)


class SlackUninstall(Base):
    """Slack removed the app (or revoked its bot token) from an installation: its
    organisation and/or workspace, the event that said so, and when (UTC). Deleted when
    the app is installed there again."""

    __tablename__ = "slack_uninstalls"

    scope: Mapped[str] = mapped_column(String(70), primary_key=True)  # "E…:T…"
    enterprise_id: Mapped[str | None] = mapped_column(String(_ID))
    team_id: Mapped[str | None] = mapped_column(String(_ID))
    reason: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
