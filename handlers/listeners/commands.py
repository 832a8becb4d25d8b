"""`/churn`: acknowledge at once, parse in bot/, then open a case or a modal."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import commands
from bot.cases.models import Signal
from bot.services import Services
from slack_edge import case_modals as views
from slack_edge.case_list import case_list_blocks
from slack_edge.messages import esc
from slack_edge.usage import usage_blocks, usage_text


def register(app: App, services: Services) -> None:
    @app.command("/churn")
    def churn(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        parsed = commands.parse(command.get("text", ""))
        if isinstance(parsed, commands.Help | commands.Usage):
            problem = parsed.problem if isinstance(parsed, commands.Usage) else None
            ack(response_type="ephemeral", text=usage_text(problem), blocks=usage_blocks(problem))
        elif isinstance(parsed, commands.Cancel | commands.Risk):
            _open(ack, command, client, services, parsed)
        elif isinstance(parsed, commands.Cases):
            ack()
            text, blocks = case_list_blocks(services, parsed.scope, command["user_id"])
            respond(text=text, blocks=blocks, response_type="ephemeral")
        else:
            problem = "`/churn report` is not switched on yet."
            ack(response_type="ephemeral", text=usage_text(problem), blocks=usage_blocks(problem))


def _open(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    services: Services,
    parsed: commands.Cancel | commands.Risk,
) -> None:
    """A known account (and kind) opens the case at once; anything else opens the modal."""
    kind = "cancellation" if isinstance(parsed, commands.Cancel) else parsed.kind
    summary = parsed.reason if isinstance(parsed, commands.Cancel) else parsed.note
    match = services.cases.find_account(parsed.account or "")
    if match.account is None or kind is None:
        ack()
        draft = views.NewCaseDraft(
            kind=kind or "other",
            reason=summary,
            account=match.account,
            typed=parsed.account or "",
            candidates=len(match.candidates),
            metadata={"source": "/churn", "response_url": command.get("response_url")},
        )
        client.views_open(trigger_id=command["trigger_id"], view=views.new_case_modal(draft))
        return
    ack(response_type="ephemeral", text=f"Opening a case for *{esc(match.account.name)}*…")
    signal = Signal(
        kind=kind,
        source="/churn",
        actor=command["user_id"],
        summary=summary,
        respond_url=command.get("response_url"),
        details={"command": json.dumps(command.get("text", ""))[:500]},
    )
    services.signals.open(match.account.id, signal)
