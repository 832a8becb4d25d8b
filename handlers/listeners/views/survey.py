"""The cancellation survey's submission: field errors inline, nothing saved until it
validates."""

from __future__ import annotations

from slack_bolt import App

from bot.cases.models import Refused
from bot.runtime.services import Services
from bot.survey.answers import InvalidSurvey, SurveyField
from handlers.acting import Acting, Errors, submission
from slack_edge.modals import SurveyMeta, decode
from slack_edge.survey_modals import SUBMIT, read_form


def register(app: App, services: Services) -> None:
    """A refusal, or metadata that is not a survey's, is answered inline on the root
    cause."""
    survey = services.survey

    def submit(sent: Acting) -> Errors | None:
        try:
            meta = decode(SurveyMeta, sent.meta)
            form = read_form(sent.values)
            survey.submit(meta.answer_id, sent.user, form)
        except InvalidSurvey as invalid:
            return invalid.errors
        except ValueError as why:
            raise Refused(str(why)) from None
        return None

    app.view(SUBMIT)(submission(submit, SurveyField.ROOT_CAUSE.value))
