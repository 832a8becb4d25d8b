"""Installations in OAuth mode (docs/slack-admin.md): what happens when Slack says the app
was removed, and what `check` says about the installation.

When Slack sends `app_uninstalled` (or `tokens_revoked` for the bot's token), the
installation's tokens are deleted and the removal remembered. The outbox then finds no
token: delivery pauses for the workspace like any refused token (bot/outbox/refusals.py),
so queued messages wait, none fails, and they go once the app is installed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.common.clock import Clock
from storage import installs as store
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Installs:
    """The deployment's Slack installation, as far as `bot/` needs to know it."""

    db: Database
    clock: Clock
    client_id: str
    changed: list[Callable[[], None]] = field(default_factory=list)
    """Called after an installation was removed or installed again (token caches)."""

    def removed(self, enterprise_id: str | None, team_id: str | None, reason: str) -> None:
        """Slack removed the app from this organisation or workspace (`reason`: the event,
        `app_uninstalled` or `tokens_revoked`): forget its tokens, remember why."""
        with self.db.session() as session:
            gone = store.forget(session, enterprise_id, team_id, reason, self.clock.now())
        if gone == 0:
            log.info(
                "Slack says the app was removed (%s) from %s, where Savedesk holds no token: "
                "nothing changes",
                reason,
                enterprise_id or team_id,
            )
            return
        log.warning(
            "Slack says the app was removed (%s) from %s: %s token(s) deleted; messages wait "
            "until it is installed again at /slack/install",
            reason,
            enterprise_id or team_id,
            gone,
        )
        self._tell()

    def installed(self, enterprise_id: str | None, team_id: str | None) -> None:
        """An install (or reinstall) was saved: any earlier removal there is over."""
        with self.db.session() as session:
            store.installed_again(session, enterprise_id, team_id)
        self._tell()

    def _tell(self) -> None:
        for listener in self.changed:
            listener()

    def notes(self, now: datetime) -> tuple[list[str], list[str]]:
        """What `check` says: (notes, problems). Not installed yet, or removed, is a problem:
        nothing reaches Slack until someone installs the app at /slack/install."""
        with self.db.read() as session:
            bot = store.latest_bot(session, self.client_id)
            removed = store.uninstalls(session)
        problems = [
            f"Slack: the app was removed from {_where(r.enterprise_id, r.team_id)}"
            f" ({r.reason}, {r.at:%Y-%m-%d %H:%M} UTC): delivery stopped there, "
            "messages wait; install it again at /slack/install"
            for r in removed
        ]
        if bot is None:
            if not removed:
                problems.append("Slack: the app is not installed yet; install it at /slack/install")
            return [], problems
        where = (
            f"organisation {bot.enterprise_id} (org-wide)"
            if bot.is_enterprise_install
            else f"workspace {bot.team_id}"
        )
        note = f"Slack: installed in {where}"
        if bot.expires_at is not None and bot.expires_at > now:
            left = int((bot.expires_at - now).total_seconds() // 60)
            note += (
                f"; token rotation on, the bot token is refreshed before it expires (in {left} min)"
            )
        elif bot.expires_at is not None:  # nothing called Slack since: not a problem itself
            note += (
                f"; token rotation on, the bot token expired {bot.expires_at:%Y-%m-%d %H:%M} UTC "
                "and is refreshed at the next Slack call"
            )
        return [note], problems


def _where(enterprise_id: str | None, team_id: str | None) -> str:
    return "/".join(part for part in (enterprise_id, team_id) if part)
