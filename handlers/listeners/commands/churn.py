"""`/churn`: parse in bot/, then answer: usage, a case or a modal, a case list, working hours
(`hours.py`), invoices (`invoices.py`) or the report; a case is opened once its job is
committed, before the acknowledgement."""

from __future__ import annotations

import json
from collections.abc import Callable

from bot.cases.models import Signal
from bot.common import commands
from bot.common.vocab import Kind
from bot.people.access import Action
from bot.reports.jobs import queue_publish
from bot.runtime.services import Services
from handlers.acting import Acting
from handlers.listeners.commands import hours, invoices
from handlers.opening_cases import queue_typed
from handlers.opening_modals import open_turnover_modal
from slack_edge import case_modals as views
from slack_edge.case_list import LIMIT, case_list_blocks
from slack_edge.case_messages import esc
from slack_edge.modals import NewCaseMeta
from slack_edge.report_messages import working_text
from slack_edge.text import from_slack
from slack_edge.turnover_modals import TurnoverMeta
from slack_edge.usage import usage_blocks, usage_text


def churn(services: Services, call: Acting, ack: Callable[..., None]) -> None:
    """Parse `/churn …` and answer: usage, a case, the new-case modal, a case list, the
    overdue invoices, working hours and time off, or the revenue-at-risk report."""
    parsed = commands.parse(from_slack(call.meta.get("text") or ""))  # Slack escapes &<>
    opening = isinstance(parsed, commands.Cancel | commands.Risk)
    services.cases.access.member(call.user, Action.OPEN_CASE if opening else Action.MY_CASES)
    if isinstance(parsed, commands.Help | commands.Usage):
        problem = parsed.problem if isinstance(parsed, commands.Usage) else None
        ack(response_type="ephemeral", text=usage_text(problem), blocks=usage_blocks(problem))
    elif isinstance(parsed, commands.Cancel | commands.Risk):
        _open(ack, call, services, parsed)
    elif isinstance(parsed, commands.Cases):
        ack()
        listing = services.cases.listing(parsed.scope, call.user, LIMIT)
        text, blocks = case_list_blocks(listing, parsed.scope)
        assert call.respond is not None
        call.respond(text=text, blocks=blocks, response_type="ephemeral")
    elif isinstance(parsed, commands.Hours | commands.Away):
        ack()
        assert call.respond is not None
        hours.answer(services, call.user, parsed, call.respond)
    elif isinstance(parsed, commands.Invoices):
        ack()
        assert call.respond is not None
        invoices.answer(services, call.user, parsed.overdue, call.respond)
    else:
        _report(ack, call, services, parsed.period)


def _open(
    ack: Callable[..., None],
    call: Acting,
    services: Services,
    parsed: commands.Cancel | commands.Risk,
) -> None:
    """A known account (and kind) is acknowledged with "Opening…" once the job that opens
    its case is committed, in the same unit of work as the lookup; anything else opens the
    modal."""
    command = call.meta
    url, issued = command.get("response_url"), services.clock.now()  # Slack issued it just now
    kind = Kind.CANCELLATION if isinstance(parsed, commands.Cancel) else parsed.kind
    summary = parsed.reason if isinstance(parsed, commands.Cancel) else parsed.note
    signal = Signal(
        kind=kind or "other",
        source="/churn",
        actor=call.user,
        summary=summary,
        respond_url=url,
        respond_issued=issued,
        replace_ack=True,  # queued only when "Opening a case…" answers the command
        details={"command": json.dumps(command.get("text", ""))[:500]},
    )
    opens = kind is not None and kind != Kind.CONTACT_LEFT  # else a modal asks first
    # committed with the lookup, before Slack hears "opening"
    match = queue_typed(services, parsed.account or "", signal if opens else None)
    if match.account is None or kind is None:
        ack()
        draft = views.NewCaseDraft(
            kind=kind or "other",
            reason=summary,
            account=match.account,
            typed=parsed.account or "",
            candidates=len(match.candidates),
            metadata=NewCaseMeta(
                source="/churn", response_url=url, response_url_issued=issued.isoformat()
            ),
        )
        call.open_modal(views.new_case_modal(draft))
        return
    if kind == Kind.CONTACT_LEFT:  # the turnover modal asks who left before anything opens
        ack()
        meta = TurnoverMeta(
            match.account.id,
            note=summary or None,
            response_url=url,
            response_url_issued=issued.isoformat(),
        )
        label = f"{match.account.name} ({match.account.external_id})"
        open_turnover_modal(call.slack, command["trigger_id"], label, meta)
        return
    ack(response_type="ephemeral", text=f"Opening a case for *{esc(match.account.name)}*…")


def _report(ack: Callable[..., None], call: Acting, services: Services, period: str) -> None:
    """Ephemeral "working on it" once the request is a durable job (or the refusal: only
    those who see revenue figures, never in a channel shared with another organisation); a
    worker then posts the figures and their chart in the channel where it was typed."""
    channel = call.meta["channel_id"]
    services.reports.may_request(call.user, shared=lambda: call.slack.channel_shared(channel))
    queue_publish(services.jobs, period, channel, call.user)
    ack(response_type="ephemeral", text=working_text(period))
