"""Type-ahead (`block_suggestion`) for external selects, one module per domain."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime.services import Services
from handlers.listeners.options import cases, survey


def register(app: App, services: Services) -> None:
    """Register every domain's type-ahead."""
    cases.register(app, services)
    survey.register(app, services)
