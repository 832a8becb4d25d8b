"""SQL for Slack installations (OAuth mode): the deployment's bot token and its refresh,
and the installations Slack said were removed. slack_sdk's own stores write the rows on
install (storage/tables/installs.py); this module reads them and rotates the token
under a row lock, so that two processes never spend the same refresh token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, desc, select, update
from sqlalchemy.orm import Session

from storage.tables.installs import SlackUninstall, slack_bots, slack_installations


@dataclass(frozen=True)
class BotRow:
    """The bot token of one installation, as stored (times UTC-aware)."""

    id: int
    enterprise_id: str | None
    team_id: str | None
    is_enterprise_install: bool
    bot_token: str
    bot_id: str | None
    bot_user_id: str | None
    refresh_token: str | None
    expires_at: datetime | None
    installed_at: datetime


def _row(mapping: object) -> BotRow:
    m = dict(mapping)  # type: ignore[call-overload]
    expires = m["bot_token_expires_at"]
    return BotRow(
        id=m["id"],
        enterprise_id=m["enterprise_id"],
        team_id=m["team_id"],
        is_enterprise_install=bool(m["is_enterprise_install"]),
        bot_token=m["bot_token"],
        bot_id=m["bot_id"],
        bot_user_id=m["bot_user_id"],
        refresh_token=m["bot_refresh_token"],
        expires_at=expires.replace(tzinfo=UTC) if expires else None,
        installed_at=m["installed_at"].replace(tzinfo=UTC),
    )


def latest_bot(session: Session, client_id: str) -> BotRow | None:
    """The most recent installation's bot (a deployment serves one organisation or one
    workspace: docs/tenancy.md), or None when the app is not installed."""
    c = slack_bots.c
    stmt = (
        select(slack_bots)
        .where(c.client_id == client_id, c.bot_token.is_not(None))
        .order_by(desc(c.installed_at), desc(c.id))
        .limit(1)
    )
    found = session.execute(stmt).mappings().first()
    return _row(found) if found is not None else None


def lock_bot(session: Session, row_id: int) -> BotRow | None:
    """The bot row, locked until the unit of work ends (FOR UPDATE on PostgreSQL; SQLite's
    unit of work already holds the write lock), as it is now."""
    stmt = select(slack_bots).where(slack_bots.c.id == row_id).with_for_update()
    found = session.execute(stmt).mappings().first()
    return _row(found) if found is not None else None


def store_refreshed(
    session: Session, bot: BotRow, token: str, refresh_token: str, expires_at: datetime
) -> None:
    """Keep the refreshed token in the bot row and its installation rows (slack_sdk reads
    either)."""
    values = {
        "bot_token": token,
        "bot_refresh_token": refresh_token,
        "bot_token_expires_at": expires_at.astimezone(UTC).replace(tzinfo=None),
    }
    session.execute(update(slack_bots).where(slack_bots.c.id == bot.id).values(**values))
    i = slack_installations.c
    same = and_(
        i.enterprise_id.is_(bot.enterprise_id)
        if bot.enterprise_id is None
        else i.enterprise_id == bot.enterprise_id,
        i.team_id.is_(None) if bot.team_id is None else i.team_id == bot.team_id,
        i.installed_at == bot.installed_at.replace(tzinfo=None),
    )
    session.execute(update(slack_installations).where(same).values(**values))


def _is(column: Any, value: str | None) -> Any:
    """`column = value`, or `column IS NULL` for None."""
    return column.is_(None) if value is None else column == value


def _scope(enterprise_id: str | None, team_id: str | None) -> str:
    return f"{enterprise_id or ''}:{team_id or ''}"


def forget(
    session: Session, enterprise_id: str | None, team_id: str | None, reason: str, now: datetime
) -> int:
    """Slack removed the app from this organisation or workspace (`reason`: the event):
    delete its tokens and remember why; returns the bot rows deleted. A removal where no
    token was held and none was removed before (a workspace this deployment does not
    serve, e.g. an earlier install elsewhere) is not remembered: nothing stopped."""
    gone = _delete_tokens(session, slack_bots, enterprise_id, team_id)
    if gone == 0 and enterprise_id is not None and team_id is not None:
        # Slack sends the event once the token is gone, so it may not say the install was
        # org-wide: removed from the organisation, its org-wide installation is gone.
        gone = _delete_tokens(session, slack_bots, enterprise_id, None, org_wide=True)
        team_id = None if gone else team_id
    _delete_tokens(session, slack_installations, enterprise_id, team_id)
    scope = _scope(enterprise_id, team_id)
    row = session.get(SlackUninstall, scope)
    if row is None and gone == 0:
        return 0
    row = row or SlackUninstall(scope=scope)
    row.enterprise_id, row.team_id, row.reason, row.at = enterprise_id, team_id, reason, now
    session.add(row)
    return gone


def _delete_tokens(
    session: Session,
    table: Any,
    enterprise_id: str | None,
    team_id: str | None,
    org_wide: bool = False,
) -> int:
    """Delete the installation's rows (every workspace's, for an org-wide one: no team;
    with `org_wide`, only the organisation's org-wide installation)."""
    c = table.c
    match = [_is(c.enterprise_id, enterprise_id)]
    if team_id is not None:
        match.append(c.team_id == team_id)
    if org_wide:
        match.append(c.is_enterprise_install.is_(True))
    return session.execute(delete(table).where(*match)).rowcount or 0  # type: ignore[attr-defined]


def installed_again(session: Session, enterprise_id: str | None, team_id: str | None) -> None:
    """The app is installed again: forget that it was removed (from the org or workspace)."""
    scopes = {_scope(enterprise_id, team_id), _scope(enterprise_id, None)}
    if team_id is not None:
        scopes.add(_scope(None, team_id))
    session.execute(delete(SlackUninstall).where(SlackUninstall.scope.in_(scopes)))


def uninstalls(session: Session) -> list[SlackUninstall]:
    return list(session.scalars(select(SlackUninstall).order_by(SlackUninstall.at)))
