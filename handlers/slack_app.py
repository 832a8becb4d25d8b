"""The Bolt app: every Slack surface (`handlers/listeners/<surface>`) registers its listeners
here."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.services import Services
from handlers import bolt_logs, checkins, finance, survey, turnover
from handlers.errors import handle_error
from handlers.listeners import actions, commands, events, home, options, shortcuts, views
from slack_edge.identity import BotIdentity


def build_bolt_app(services: Services, auth_test: Any = None) -> App:
    settings = services.settings
    identity = BotIdentity(services.api, settings.slack_bot_token)
    if auth_test is not None:
        identity.remember(auth_test)
    app = App(
        signing_secret=settings.slack_signing_secret or "",
        client=services.api,
        authorize=identity.authorize_function(),
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        logger=bolt_logs.install(),
    )
    app.error(handle_error)
    commands.register(app, services)
    actions.register(app, services)
    views.register(app, services)
    options.register(app, services)
    shortcuts.register(app, services)
    events.register(app, services)
    home.register(app, services)
    survey.register(app, services)
    finance.register(app, services)
    checkins.register(app, services)
    turnover.register(app, services)
    return app
