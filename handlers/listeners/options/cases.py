"""Type-ahead (`block_suggestion`) for the new-case modal's account picker."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime.services import Services
from handlers.acting import options
from slack_edge import case_modals as views


def register(app: App, services: Services) -> None:
    def accounts(typed: str, user: str) -> list[dict]:
        found = services.cases.search_accounts(typed, user)
        return [views.account_option(a).to_dict() for a in found]

    app.options(views.ACCOUNT_OPTIONS)(options(accounts))
