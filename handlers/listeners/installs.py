"""OAuth mode: Slack says the app was removed (`app_uninstalled`), or its bot token revoked
(`tokens_revoked` naming bot users). The installation's tokens are forgotten and delivery
there waits for a reinstall (bot/runtime/installs.py). Bolt sends both events without authorizing
them (the token is already gone). https://api.slack.com/events/app_uninstalled,
https://api.slack.com/events/tokens_revoked
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.runtime.services import Services


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

    @app.event("app_uninstalled")
    def uninstalled(body: dict[str, Any]) -> None:
        installs.removed(*installation_of(body), "app_uninstalled")

    @app.event("tokens_revoked")
    def revoked(event: dict[str, Any], body: dict[str, Any]) -> None:
        if (event.get("tokens") or {}).get("bot"):
            installs.removed(*installation_of(body), "tokens_revoked")
