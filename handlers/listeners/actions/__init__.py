"""Button presses (`block_actions`), one module per domain."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers.listeners.actions import cases, offers, signals


def register(app: App, services: Services) -> None:
    """Register every domain's buttons."""
    cases.register(app, services)
    offers.register(app, services)
    signals.register(app, services)
