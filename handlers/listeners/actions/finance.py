"""The pre-renewal question's buttons: Yes answers at once, Hold opens the modal whose
reason is required (`handlers/listeners/views/finance.py`), Release lets the invoice go.
Thin: decode, call the finance service, answer."""

from __future__ import annotations

from slack_bolt import App

from bot.common.vocab import RenewalAnswer
from bot.runtime.services import Services
from handlers.acting import Acting, button
from slack_edge.case_messages import esc
from slack_edge.finance_messages import RenewalAction
from slack_edge.finance_modals import hold_modal


def register(app: App, services: Services) -> None:
    """A refusal (not the CSM / finance, already answered) answers only the clicker."""
    renewals = services.finance.renewals

    def yes(press: Acting) -> None:
        renewals.answer(press.meta, press.user, RenewalAnswer.YES, None, services.clock.now())

    def hold(press: Acting) -> None:
        name = renewals.may_answer(press.meta, press.user)
        view = hold_modal(press.meta, esc(name))
        press.open_modal(view)

    def release(press: Acting) -> None:
        renewals.release(press.meta, press.user, services.clock.now())

    app.action(RenewalAction.YES.value)(button(yes))
    app.action(RenewalAction.RELEASE.value)(button(release))
    app.action(RenewalAction.HOLD.value)(button(hold))
