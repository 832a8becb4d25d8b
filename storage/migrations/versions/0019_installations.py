"""Slack installations (OAuth mode): slack_sdk's installation and OAuth state store tables
(storage/tables/installs.py), and the installations Slack said were removed

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ID, NAME, SCOPES = sa.String(length=32), sa.String(length=200), sa.String(length=1000)


def _installation_columns() -> list[sa.Column]:
    """What slack_installations and slack_bots share, in slack_sdk's order."""
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", ID, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("enterprise_id", ID, nullable=True),
        sa.Column("enterprise_name", NAME, nullable=True),
    ]


def _bot_columns() -> list[sa.Column]:
    return [
        sa.Column("bot_token", NAME, nullable=True),
        sa.Column("bot_id", ID, nullable=True),
        sa.Column("bot_user_id", ID, nullable=True),
        sa.Column("bot_scopes", SCOPES, nullable=True),
        sa.Column("bot_refresh_token", NAME, nullable=True),
        sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        *_installation_columns(),
        sa.Column("enterprise_url", NAME, nullable=True),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("team_name", NAME, nullable=True),
        *_bot_columns(),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("user_token", NAME, nullable=True),
        sa.Column("user_scopes", SCOPES, nullable=True),
        sa.Column("user_refresh_token", NAME, nullable=True),
        sa.Column("user_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("incoming_webhook_url", NAME, nullable=True),
        sa.Column("incoming_webhook_channel", NAME, nullable=True),
        sa.Column("incoming_webhook_channel_id", NAME, nullable=True),
        sa.Column("incoming_webhook_configuration_url", NAME, nullable=True),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("token_type", ID, nullable=True),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
    )
    op.create_index(
        "slack_installations_idx",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        "slack_bots",
        *_installation_columns(),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("team_name", NAME, nullable=True),
        *_bot_columns(),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_bots")),
    )
    op.create_index(
        "slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"]
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("state", NAME, nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_oauth_states")),
    )
    op.create_table(
        "slack_uninstalls",
        sa.Column("scope", sa.String(length=70), nullable=False),
        sa.Column("enterprise_id", ID, nullable=True),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_slack_uninstalls")),
    )


def downgrade() -> None:
    op.drop_table("slack_uninstalls")
    op.drop_table("slack_oauth_states")
    op.drop_index("slack_bots_idx", table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index("slack_installations_idx", table_name="slack_installations")
    op.drop_table("slack_installations")
