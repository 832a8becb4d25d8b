"""`/churn`: acknowledge at once, parse in bot/, render the answer."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import commands
from bot.services import Services
from handlers.usage import usage_blocks, usage_text


def register(app: App, services: Services) -> None:
    @app.command("/churn")
    def churn(ack: Ack, command: dict[str, Any]) -> None:
        parsed = commands.parse(command.get("text", ""))
        if isinstance(parsed, commands.Help):
            ack(response_type="ephemeral", text=usage_text(), blocks=usage_blocks())
            return
        problem = parsed.problem if isinstance(parsed, commands.Usage) else None
        if problem is None:
            problem = "That part of Savedesk is not switched on yet."
        ack(response_type="ephemeral", text=usage_text(problem), blocks=usage_blocks(problem))
