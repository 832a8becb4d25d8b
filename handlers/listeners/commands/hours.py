"""`/churn hours` and `/churn away`, answered ephemerally after the ack. Thin: call the
hours service (bot/hours/service.py), render (slack_edge/hours_messages.py)."""

from __future__ import annotations

from slack_bolt import Respond

from bot.cases.models import Refused
from bot.hours.commands import Away, Hours
from bot.runtime.services import Services
from slack_edge import hours_messages as words


def answer(services: Services, user: str, parsed: Hours | Away, respond: Respond) -> None:
    """Show or change working hours or time off; a refusal answers only the person."""
    hours = services.hours
    try:
        if isinstance(parsed, Hours):
            if parsed.show:
                view = hours.view(user)
            else:
                view = hours.set_hours(user, parsed.window, parsed.days)
            text = words.hours_text(view)
        elif parsed.show:
            text = words.hours_text(hours.view(parsed.person or user))
        elif parsed.cancel:
            text = words.away_cancelled_text(hours.cancel_away(parsed.person or user, user))
        else:
            assert parsed.first is not None and parsed.last is not None
            person = parsed.person or user
            off = hours.set_away(person, parsed.first, parsed.last, parsed.cover, set_by=user)
            text = words.away_set_text(person, user, off)
    except Refused as why:
        text = f":no_entry: {why}"
    respond(text=text, response_type="ephemeral")
