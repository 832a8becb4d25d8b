"""The cancellation survey's Fill in / Edit buttons: open the survey modal, pre-filled when
asked, with the saved answers when answered (the submission is
`handlers/listeners/views/survey.py`, the competitor type-ahead
`handlers/listeners/options/survey.py`)."""

from __future__ import annotations

from slack_bolt import App

from bot.cases.models import Refused
from bot.runtime.services import Services
from handlers.acting import Acting, button
from slack_edge.survey_messages import SurveyAction
from slack_edge.survey_modals import survey_modal


def register(app: App, services: Services) -> None:
    """A refusal, or a button value that is not a survey's, answers only the clicker."""
    survey = services.survey

    def open_survey(press: Acting) -> None:
        try:
            prompt = survey.prompt(int(press.meta), press.user)
        except ValueError as why:
            raise Refused(str(why)) from None
        press.open_modal(survey_modal(prompt))

    app.action(SurveyAction.FILL.value)(button(open_survey, _as_is))
    app.action(SurveyAction.EDIT.value)(button(open_survey, _as_is))


def _as_is(value: str | None) -> str | None:
    """The button's value as sent; `open_survey` reads the survey's id from it, so a bad
    one is refused like any other refusal."""
    return value
