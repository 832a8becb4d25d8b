"""Save check-in buttons: Still a customer and Churned answer at once, Downgraded opens a
modal for the new ARR (`handlers/listeners/views/checkins.py`). Thin: decode, call the
check-in service, answer."""

from __future__ import annotations

from slack_bolt import App

from bot.common.vocab import CheckinAnswer
from bot.runtime.services import Services
from handlers.acting import Acting, button
from slack_edge.case_messages import esc
from slack_edge.checkin_messages import CheckinAction
from slack_edge.checkin_modals import downgrade_modal


def register(app: App, services: Services) -> None:
    """A refusal (not someone who may answer, already answered) answers only the clicker."""
    checkins = services.checkins

    def customer(press: Acting) -> None:
        checkins.answer(press.meta, press.user, CheckinAnswer.CUSTOMER)

    def churned(press: Acting) -> None:
        checkins.answer(press.meta, press.user, CheckinAnswer.CHURNED)

    def downgraded(press: Acting) -> None:
        name, arr = checkins.may_answer(press.meta, press.user)
        press.open_modal(downgrade_modal(press.meta, esc(name), arr))

    app.action(CheckinAction.CUSTOMER.value)(button(customer))
    app.action(CheckinAction.CHURNED.value)(button(churned))
    app.action(CheckinAction.DOWNGRADED.value)(button(downgraded))
