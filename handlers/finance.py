"""Finance in Slack: the pre-renewal question's Yes / Hold (with its modal), and
`/churn invoices [overdue]`. Thin: decode, call the finance service, answer."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.finance.renewals import AnswerRefused
from bot.finance.views import NotAllowed, listing_text
from bot.services import Services
from handlers.cases import refuse
from slack_edge.finance_messages import HOLD_VIEW, REASON, RenewalAction, hold_modal
from slack_edge.messages import esc
from slack_edge.modals import RenewalMeta, decode


def register(app: App, services: Services) -> None:
    renewals = services.finance.renewals

    @app.action(RenewalAction.YES.value)
    def yes(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        check_id = int(body["actions"][0]["value"])
        try:
            renewals.answer(check_id, body["user"]["id"], "yes", None, services.clock.now())
        except AnswerRefused as why:
            refuse(respond, body, client, str(why))

    @app.action(RenewalAction.HOLD.value)
    def hold(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        check_id = int(body["actions"][0]["value"])
        try:
            name = renewals.may_answer(check_id, body["user"]["id"])
        except AnswerRefused as why:
            refuse(respond, body, client, str(why))
            return
        client.views_open(trigger_id=body["trigger_id"], view=hold_modal(check_id, esc(name)))

    @app.view(HOLD_VIEW)
    def hold_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = (
            view["state"]["values"].get(REASON, {}).get(REASON, {}).get("value") or ""
        ).strip()
        if not reason:
            ack(response_action="errors", errors={REASON: "Say why the invoice should be held."})
            return
        check_id = decode(RenewalMeta, view["private_metadata"]).check_id
        try:
            renewals.answer(check_id, body["user"]["id"], "hold", reason, services.clock.now())
        except AnswerRefused as why:
            ack(response_action="errors", errors={REASON: str(why)})
            return
        ack()


def answer_invoices(services: Services, user: str, overdue: bool, respond: Respond) -> None:
    """`/churn invoices [overdue]`, answered ephemerally after the ack."""
    team = services.team.current()
    try:
        lines = services.finance.views.invoices(
            user, team, services.clock.now(), overdue_only=overdue
        )
    except NotAllowed as why:
        respond(text=f":no_entry: {why}", response_type="ephemeral")
        return
    respond(text=listing_text(lines, overdue), response_type="ephemeral")
