"""The pre-renewal Hold modal's submission: the reason is required (inline error), then
the finance service records the hold."""

from __future__ import annotations

from slack_bolt import App

from bot.common.vocab import RenewalAnswer
from bot.runtime.services import Services
from handlers.acting import Acting, submission
from slack_edge.case_modals import field_value
from slack_edge.finance_modals import HOLD_VIEW, REASON
from slack_edge.modals import RenewalMeta


def register(app: App, services: Services) -> None:
    """A refusal (not the CSM / finance, already answered) is answered inline."""
    renewals = services.finance.renewals

    def hold_submitted(sent: Acting) -> dict[str, str] | None:
        reason = str(field_value(sent.values, REASON, REASON) or "").strip()
        if not reason:
            return {REASON: "Say why the invoice should be held."}
        check_id = sent.meta.check_id
        renewals.answer(check_id, sent.user, RenewalAnswer.HOLD, reason, services.clock.now())
        return None

    app.view(HOLD_VIEW)(submission(hold_submitted, REASON, RenewalMeta))
