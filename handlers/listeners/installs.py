"""OAuth mode: Slack says the app was removed (`app_uninstalled`), or its bot token revoked
(`tokens_revoked` naming bot users). The installation's tokens are forgotten and delivery
there waits for a reinstall (bot/runtime/installs.py). Bolt sends both events without authorizing
them (the token is already gone). https://api.slack.com/events/app_uninstalled,
https://api.slack.com/events/tokens_revoked
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.runtime.services import Services
from handlers.acting import Acting, on_event

log = logging.getLogger(__name__)


def installation_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(enterprise_id, team_id) of the installation an event is for; an org-wide
    installation has no team."""
    org_wide = any(a.get("is_enterprise_install") for a in body.get("authorizations") or [])
    enterprise = body.get("enterprise_id") or None
    return enterprise, None if org_wide else (body.get("team_id") or None)


def register(app: App, services: Services) -> None:
    installs = services.installs
    if installs is None:  # one token: nothing to forget, but say it loudly (it stops us)
        on_event(app, "app_uninstalled", _removed_in_token_mode)
        on_event(app, "tokens_revoked", _removed_in_token_mode)
        return

    def uninstalled(acting: Acting, _context: BoltContext) -> None:
        installs.removed(*installation_of(acting.body), "app_uninstalled")

    def revoked(acting: Acting, _context: BoltContext) -> None:
        if (acting.meta.get("tokens") or {}).get("bot"):
            installs.removed(*installation_of(acting.body), "tokens_revoked")

    on_event(app, "app_uninstalled", uninstalled)  # before the acknowledgement: see on_event
    on_event(app, "tokens_revoked", revoked)


def _removed_in_token_mode(acting: Acting, _context: BoltContext) -> None:
    """With one SLACK_BOT_TOKEN, Slack saying the app was removed or its token revoked
    means every call will fail until it is installed again and the new token set."""
    log.error(
        "Slack says %s: Savedesk's token no longer works; reinstall the app and set the new "
        "SLACK_BOT_TOKEN (messages wait meanwhile)",
        "the app was uninstalled" if acting.meta.get("type") == "app_uninstalled" else
        "its tokens were revoked",
    )  # fmt: skip
