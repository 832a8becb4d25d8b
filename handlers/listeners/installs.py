"""OAuth mode: Slack says the app was removed (`app_uninstalled`), or its bot token revoked
(`tokens_revoked` naming bot users). The installation's tokens are forgotten and delivery
there waits for a reinstall (bot/runtime/installs.py). Bolt sends both events without authorizing
them (the token is already gone). https://api.slack.com/events/app_uninstalled,
https://api.slack.com/events/tokens_revoked
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.runtime.services import Services
from handlers.acting import Acting, on_event


def installation_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(enterprise_id, team_id) of the installation an event is for; an org-wide
    installation has no team."""
    org_wide = any(a.get("is_enterprise_install") for a in body.get("authorizations") or [])
    enterprise = body.get("enterprise_id") or None
    return enterprise, None if org_wide else (body.get("team_id") or None)


def register(app: App, services: Services) -> None:
    installs = services.installs
    if installs is None:
        return

    def uninstalled(acting: Acting, _context: BoltContext) -> None:
        installs.removed(*installation_of(acting.body), "app_uninstalled")

    def revoked(acting: Acting, _context: BoltContext) -> None:
        if (acting.meta.get("tokens") or {}).get("bot"):
            installs.removed(*installation_of(acting.body), "tokens_revoked")

    on_event(app, "app_uninstalled", uninstalled)  # before the acknowledgement: see on_event
    on_event(app, "tokens_revoked", revoked)
