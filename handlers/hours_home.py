"""Working hours and time off on App Home (docs/hours.md): "Change hours" and "Add time
off" open their modals, "End now"/"Cancel" ends a time off, "Use the policy's hours" drops
the person's own window; after each change the person's Home is published again.

Thin: decisions in bot/hours (service, forms), Block Kit in slack_edge/hours_home.py. App
Home has no channel to answer in, so a refused click opens a modal saying why; a refused
or malformed submission is answered inline in the modal (`response_action: errors`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.access import Action
from bot.cases.models import Refused
from bot.hours.forms import Problems, read_away, read_hours
from bot.hours.service import HoursView
from bot.services import Services
from bot.vocab import TimeOffSource
from handlers.acting import Acting, button, submission
from slack_edge.case_modals import refusal_modal
from slack_edge.hours_home import (
    AWAY_VIEW,
    HOURS_VIEW,
    TITLE_AWAY,
    TITLE_HOURS,
    HoursAction,
    away_modal,
    hours_modal,
    read_away_state,
    read_hours_state,
)

Render = Callable[[str], dict[str, Any]]


def register(app: App, services: Services, render: Render) -> None:
    """The section's buttons and modals; `render(user)` is the person's whole App Home."""
    hours = services.hours

    def refresh(acting: Acting) -> None:
        acting.slack.publish_home(acting.user, render(acting.user))

    def form(action: Action, build: Callable[[HoursView], dict], title: str) -> Callable[..., None]:
        def open_form(press: Acting) -> None:
            try:
                view = build(hours.form(press.user, action))
            except Refused as why:
                view = refusal_modal(title, str(why))
            press.open_modal(view)

        return button(open_form, _as_is)

    def change(act: Callable[[Acting], object], title: str) -> Callable[..., None]:
        def click(press: Acting) -> None:
            try:
                act(press)
            except Refused as why:
                press.open_modal(refusal_modal(title, str(why)))
                return
            refresh(press)

        return button(click, _as_is)

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

    def reset(press: Acting) -> None:
        hours.set_hours(press.user, None, None)

    def end(press: Acting) -> None:
        hours.end_away(press.user, press.user, int(press.meta or 0))

    app.action(HoursAction.EDIT_HOURS.value)(form(Action.HOURS, hours_modal, TITLE_HOURS))
    app.action(HoursAction.ADD_AWAY.value)(form(Action.AWAY, away_modal, TITLE_AWAY))
    app.action(HoursAction.RESET_HOURS.value)(change(reset, TITLE_HOURS))
    app.action(HoursAction.END_AWAY.value)(change(end, TITLE_AWAY))
    app.view(HOURS_VIEW)(submission(save_hours, "start", after=refresh))
    app.view(AWAY_VIEW)(submission(save_away, "first", after=refresh))


def _as_is(value: str | None) -> str | None:
    """A button's value, kept as text (the time off's id, or none)."""
    return value
