"""Working hours and time off on App Home (docs/hours.md): "Change hours" and "Add time
off" open their modals (submitted in `handlers/listeners/views/hours.py`), "End now" /
"Cancel" ends a time off, "Use the policy's hours" drops the person's own window; after
each change the person's Home is published again.

Thin: decisions in bot/hours (service, forms), Block Kit in slack_edge/hours_home.py. App
Home has no channel to answer in, so a refused click opens a modal saying why.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from bot.cases.models import Refused
from bot.hours.models import HoursView
from bot.people.access import Action
from bot.runtime.services import Services
from handlers.acting import Acting, button
from handlers.listeners.home import republish
from slack_edge.case_modals import refusal_modal
from slack_edge.hours_home import TITLE_AWAY, TITLE_HOURS, HoursAction, away_modal, hours_modal


def register(app: App, services: Services) -> None:
    """The section's buttons."""
    hours = services.hours

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
            republish(services, press)

        return button(click, _as_is)

    def reset(press: Acting) -> None:
        hours.set_hours(press.user, None, None)

    def end(press: Acting) -> None:
        hours.end_away(press.user, press.user, int(press.meta or 0))

    app.action(HoursAction.EDIT_HOURS.value)(form(Action.HOURS, hours_modal, TITLE_HOURS))
    app.action(HoursAction.ADD_AWAY.value)(form(Action.AWAY, away_modal, TITLE_AWAY))
    app.action(HoursAction.RESET_HOURS.value)(change(reset, TITLE_HOURS))
    app.action(HoursAction.END_AWAY.value)(change(end, TITLE_AWAY))


def _as_is(value: str | None) -> str | None:
    """A button's value, kept as text (the time off's id, or none)."""
    return value
