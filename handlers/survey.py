"""The cancellation survey's listeners: the Fill in / Edit buttons open the modal, the
competitor field's type-ahead, and the submission (field errors inline, nothing saved
until it validates)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.cases.models import Refused
from bot.services import Services
from bot.survey.answers import InvalidSurvey, SurveyField
from handlers.acting import refuse
from slack_edge.modals import SurveyMeta, decode
from slack_edge.surface import Surface
from slack_edge.survey_messages import SurveyAction
from slack_edge.survey_modals import SUBMIT, competitor_options, read_form, survey_modal


def register(app: App, services: Services) -> None:
    survey = services.survey

    def open_survey(ack: Ack, body: dict[str, Any], respond: Respond, client: Any) -> None:
        ack()
        try:
            prompt = survey.prompt(int(body["actions"][0]["value"]), body["user"]["id"])
        except (Refused, ValueError) as why:
            refuse(respond, body, Surface(client), str(why))
            return
        Surface(client).open_modal(body["trigger_id"], survey_modal(prompt))

    app.action(SurveyAction.FILL.value)(open_survey)
    app.action(SurveyAction.EDIT.value)(open_survey)

    @app.options(SurveyField.COMPETITOR.value)
    def competitors(ack: Ack, body: dict[str, Any]) -> None:
        typed = str(body.get("value") or "")[:200]
        ack(options=competitor_options(survey.competitor_options(typed)))

    @app.view(SUBMIT)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            meta = decode(SurveyMeta, view.get("private_metadata"))
            form = read_form(view["state"]["values"])
            survey.submit(meta.answer_id, body["user"]["id"], form)
        except InvalidSurvey as invalid:
            ack(response_action="errors", errors=invalid.errors)
            return
        except (Refused, ValueError) as why:
            ack(response_action="errors", errors={SurveyField.ROOT_CAUSE.value: str(why)})
            return
        ack()
