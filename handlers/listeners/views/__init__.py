"""Modal submissions (`view_submission`), one module per domain."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime.services import Services
from handlers.listeners.views import (
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
    """Register every domain's modal submissions."""
    cases.register(app, services)
    offers.register(app, services)
    signals.register(app, services)
    survey.register(app, services)
    finance.register(app, services)
    checkins.register(app, services)
    turnover.register(app, services)
    hours.register(app, services)
