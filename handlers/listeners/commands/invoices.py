"""`/churn invoices [overdue]`: the finance views' listing, answered ephemerally after the
ack."""

from __future__ import annotations

from slack_bolt import Respond

from bot.cases.models import Refused
from bot.finance.listings import listing_text
from bot.runtime.services import Services


def answer(services: Services, user: str, overdue: bool, respond: Respond) -> None:
    """`/churn invoices [overdue]`, answered ephemerally after the ack."""
    try:
        acting = services.cases.access.actor(user)
        lines = services.finance.views.invoices(acting, services.clock.now(), overdue_only=overdue)
    except Refused as why:
        respond(text=f":no_entry: {why}", response_type="ephemeral")
        return
    respond(text=listing_text(lines, overdue), response_type="ephemeral")
