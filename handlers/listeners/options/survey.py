"""The cancellation survey's competitor field: type-ahead from the competitors named
before."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.runtime.services import Services
from bot.survey.answers import SurveyField
from handlers.acting import options
from slack_edge.survey_modals import competitor_options


def register(app: App, services: Services) -> None:
    def competitors(typed: str, user: str) -> list[dict[str, Any]]:
        return competitor_options(services.survey.competitor_options(typed[:200]))

    app.options(SurveyField.COMPETITOR.value)(options(competitors))
