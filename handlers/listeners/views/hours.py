"""The App Home's working hours and time off modals (docs/hours.md): a refused or
malformed submission is answered inline (`response_action: errors`); after a change the
person's Home is published again. Decisions in bot/hours (service, forms)."""

from __future__ import annotations

from slack_bolt import App

from bot.common.vocab import TimeOffSource
from bot.hours.forms import Problems, read_away, read_hours
from bot.runtime.services import Services
from handlers.acting import Acting, submission
from handlers.listeners.home import republish
from slack_edge.hours_home import AWAY_VIEW, HOURS_VIEW, read_away_state, read_hours_state


def register(app: App, services: Services) -> None:
    """The section's modal submissions."""
    hours = services.hours

    def save_hours(sent: Acting) -> Problems | None:
        read = read_hours(*read_hours_state(sent.values))
        if isinstance(read, dict):
            return read
        hours.set_hours(sent.user, read.window, read.days)
        return None

    def save_away(sent: Acting) -> Problems | None:
        read = read_away(*read_away_state(sent.values))
        if isinstance(read, dict):
            return read
        away = (sent.user, read.first, read.last, read.cover)
        hours.set_away(*away, set_by=sent.user, source=TimeOffSource.HOME)
        return None

    def refresh(sent: Acting) -> None:
        republish(services, sent)

    app.view(HOURS_VIEW)(submission(save_hours, "start", after=refresh))
    app.view(AWAY_VIEW)(submission(save_away, "first", after=refresh))
