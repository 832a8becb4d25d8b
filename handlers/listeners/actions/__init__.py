"""Button presses and other block elements (`block_actions`), one module per domain."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime.services import Services
from handlers.listeners.actions import (
    cases,
    checkins,
    finance,
    hours,
    offers,
    signals,
    survey,
    turnover,
)


def register(app: App, services: Services) -> None:
    """Register every domain's buttons."""
    cases.register(app, services)
    offers.register(app, services)
    signals.register(app, services)
    survey.register(app, services)
    finance.register(app, services)
    checkins.register(app, services)
    turnover.register(app, services)
    hours.register(app, services)
