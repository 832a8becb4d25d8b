"""Save check-ins in Slack: Still a customer and Churned answer at once, Downgraded opens a
modal for the new ARR. Thin: decode, call the check-in service, answer."""

from __future__ import annotations

from slack_bolt import App

from bot.amounts import parse_amount
from bot.services import Services
from bot.vocab import CheckinAnswer
from handlers.acting import Acting, button, submission
from slack_edge.case_modals import field_value
from slack_edge.checkin_messages import DOWNGRADE_VIEW, NEW_ARR, CheckinAction, downgrade_modal
from slack_edge.messages import esc
from slack_edge.modals import CheckinMeta


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

    def downgrade_submitted(sent: Acting) -> dict[str, str] | None:
        typed = str(field_value(sent.values, NEW_ARR, NEW_ARR) or "").strip()
        try:
            new_arr = parse_amount(typed)
        except ValueError as err:
            return {NEW_ARR: f"{str(err).capitalize()}."}
        checkins.answer(sent.meta.checkin_id, sent.user, CheckinAnswer.DOWNGRADED, new_arr)
        return None

    app.action(CheckinAction.CUSTOMER.value)(button(customer))
    app.action(CheckinAction.CHURNED.value)(button(churned))
    app.action(CheckinAction.DOWNGRADED.value)(button(downgraded))
    app.view(DOWNGRADE_VIEW)(submission(downgrade_submitted, NEW_ARR, CheckinMeta))
