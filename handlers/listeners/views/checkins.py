"""The Downgraded check-in modal's submission: the new ARR, checked inline, then the
check-in service records the answer."""

from __future__ import annotations

from slack_bolt import App

from bot.common.amounts import parse_amount
from bot.common.vocab import CheckinAnswer
from bot.runtime.services import Services
from handlers.acting import Acting, submission
from slack_edge.case_modals import field_value
from slack_edge.checkin_modals import DOWNGRADE_VIEW, NEW_ARR
from slack_edge.modals import CheckinMeta


def register(app: App, services: Services) -> None:
    """A refusal (not someone who may answer, already answered) is answered inline."""
    checkins = services.checkins

    def downgrade_submitted(sent: Acting) -> dict[str, str] | None:
        typed = str(field_value(sent.values, NEW_ARR, NEW_ARR) or "").strip()
        try:
            new_arr = parse_amount(typed)
        except ValueError as err:
            return {NEW_ARR: f"{str(err).capitalize()}."}
        checkins.answer(sent.meta.checkin_id, sent.user, CheckinAnswer.DOWNGRADED, new_arr)
        return None

    app.view(DOWNGRADE_VIEW)(submission(downgrade_submitted, NEW_ARR, CheckinMeta))
