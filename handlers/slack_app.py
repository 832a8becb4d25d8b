"""The Bolt app: every Slack surface registers its listeners here."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.services import Services
from handlers import cases, commands, events, home, offers, shortcuts
from handlers.errors import handle_error
from handlers.identity import BotIdentity


class UnusedTokenNotice(logging.Filter):
    """Drops Bolt's "`token` will be unused / will be ignored" warnings.

    Bolt reads SLACK_BOT_TOKEN from the environment and warns when a `client` and an
    `authorize` function are given too. Savedesk gives both on purpose (handlers/identity.py:
    no auth.test per request) and both carry that same token, so the warning is untrue.
    Bolt re-applies the root level to its own logger, so a level change cannot hide it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token`" not in record.getMessage()


BOLT_LOGGER = logging.getLogger("slack_bolt.App")
BOLT_LOGGER.addFilter(UnusedTokenNotice())


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
        logger=BOLT_LOGGER,
    )
    app.error(handle_error)
    commands.register(app, services)
    cases.register(app, services)
    offers.register(app, services)
    shortcuts.register(app, services)
    events.register(app, services)
    home.register(app, services)
    return app
