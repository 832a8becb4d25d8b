"""Finance in Slack: the pre-renewal question's Yes / Hold (with its modal), and
`/churn invoices [overdue]`. Thin: decode, call the finance service, answer."""

from __future__ import annotations

from slack_bolt import App, Respond

from bot.cases.models import Refused
from bot.finance.views import listing_text
from bot.services import Services
from bot.vocab import RenewalAnswer
from handlers.acting import Acting, button, submission
from slack_edge.case_modals import field_value
from slack_edge.finance_messages import HOLD_VIEW, REASON, RenewalAction, hold_modal
from slack_edge.messages import esc
from slack_edge.modals import RenewalMeta


def register(app: App, services: Services) -> None:
    """Yes answers at once; Hold opens the modal, whose reason is required. A refusal
    (not the CSM / finance, already answered) answers only the clicker."""
    renewals = services.finance.renewals

    def yes(press: Acting) -> None:
        renewals.answer(press.meta, press.user, RenewalAnswer.YES, None, services.clock.now())

    def hold(press: Acting) -> None:
        name = renewals.may_answer(press.meta, press.user)
        view = hold_modal(press.meta, esc(name))
        press.open_modal(view)

    def hold_submitted(sent: Acting) -> dict[str, str] | None:
        reason = str(field_value(sent.values, REASON, REASON) or "").strip()
        if not reason:
            return {REASON: "Say why the invoice should be held."}
        check_id = sent.meta.check_id
        renewals.answer(check_id, sent.user, RenewalAnswer.HOLD, reason, services.clock.now())
        return None

    def release(press: Acting) -> None:
        renewals.release(press.meta, press.user, services.clock.now())

    app.action(RenewalAction.YES.value)(button(yes))
    app.action(RenewalAction.RELEASE.value)(button(release))
    app.action(RenewalAction.HOLD.value)(button(hold))
    app.view(HOLD_VIEW)(submission(hold_submitted, REASON, RenewalMeta))


def answer_invoices(services: Services, user: str, overdue: bool, respond: Respond) -> None:
    """`/churn invoices [overdue]`, answered ephemerally after the ack."""
    try:
        acting = services.cases.access.actor(user)
        lines = services.finance.views.invoices(acting, services.clock.now(), overdue_only=overdue)
    except Refused as why:
        respond(text=f":no_entry: {why}", response_type="ephemeral")
        return
    respond(text=listing_text(lines, overdue), response_type="ephemeral")
