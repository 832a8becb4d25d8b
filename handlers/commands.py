"""`/churn`: acknowledge at once, parse in bot/, then open a case or a modal."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import commands
from bot.cases.models import Signal
from bot.services import Services
from bot.turnover.service import CONTACT_LEFT
from handlers import finance
from handlers.opening import open_after_ack
from handlers.turnover import open_turnover_modal
from slack_edge import case_modals as views
from slack_edge.case_list import case_list_blocks
from slack_edge.messages import esc
from slack_edge.report_messages import working_text
from slack_edge.text import from_slack
from slack_edge.turnover_modals import TurnoverMeta
from slack_edge.usage import usage_blocks, usage_text


def register(app: App, services: Services) -> None:
    @app.command("/churn")
    def churn(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        parsed = commands.parse(from_slack(command.get("text") or ""))  # Slack escapes &<>
        if isinstance(parsed, commands.Help | commands.Usage):
            problem = parsed.problem if isinstance(parsed, commands.Usage) else None
            ack(response_type="ephemeral", text=usage_text(problem), blocks=usage_blocks(problem))
        elif isinstance(parsed, commands.Cancel | commands.Risk):
            _open(ack, command, client, respond, services, parsed)
        elif isinstance(parsed, commands.Cases):
            ack()
            text, blocks = case_list_blocks(services, parsed.scope, command["user_id"])
            respond(text=text, blocks=blocks, response_type="ephemeral")
        elif isinstance(parsed, commands.Invoices):
            ack()
            finance.answer_invoices(services, command["user_id"], parsed.overdue, respond)
        else:
            _report(ack, command, services, parsed.period)


def _open(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    parsed: commands.Cancel | commands.Risk,
) -> None:
    """A known account (and kind) is acknowledged with "Opening…" after one read and no
    write, and the case is opened after the acknowledgement; anything else opens the modal."""
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
    if kind == CONTACT_LEFT:  # the turnover modal asks who left before anything opens
        ack()
        url = command.get("response_url")
        meta = TurnoverMeta(match.account.id, note=summary or None, response_url=url)
        label = f"{match.account.name} ({match.account.external_id})"
        open_turnover_modal(client, command["trigger_id"], label, meta)
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
    open_after_ack(services, match.account.id, signal, respond)


def _report(ack: Ack, command: dict[str, Any], services: Services, period: str) -> None:
    """Ephemeral "working on it" at once; then the figures, and the post and its chart
    queued in the outbox for the channel where the command was typed."""
    ack(response_type="ephemeral", text=working_text(period))
    services.reports.publish(period, command["channel_id"], requested_by=command["user_id"])
