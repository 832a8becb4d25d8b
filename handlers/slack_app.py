"""The Bolt app: every Slack surface (`handlers/listeners/<surface>`, docs/ARCHITECTURE.md
*Where things go*) registers its listeners here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.runtime.services import Services
from handlers import bolt_logs
from handlers.errors import handle_error
from handlers.listeners import (
    actions,
    commands,
    events,
    home,
    installs,
    options,
    shortcuts,
    views,
    workflow,
)
from slack_edge.identity import BotIdentity
from slack_edge.installs import InstallAuthorize, RotatingClient, oauth_settings


def _authorization(services: Services, auth_test: Any) -> dict[str, Any]:
    """One bot token (SLACK_BOT_TOKEN), or OAuth mode: Bolt's install flow and each
    request authorized with the installation's current token (docs/slack-admin.md)."""
    settings = services.settings
    if services.installs is not None:
        client = services.api
        assert isinstance(client, RotatingClient)  # wiring.build_slack: OAuth mode's client
        return {
            "authorize": InstallAuthorize(client.tokens),
            "oauth_settings": oauth_settings(settings, services.installs, services.db),
        }
    identity = BotIdentity(services.api, settings.slack_bot_token)
    if auth_test is not None:
        identity.remember(auth_test)
    return {"authorize": identity.authorize_function()}


def build_bolt_app(services: Services, auth_test: Any = None) -> App:
    settings = services.settings
    app = App(
        signing_secret=settings.slack_signing_secret or "",
        client=services.api,
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        logger=bolt_logs.install(),
        **_authorization(services, auth_test),
    )
    app.error(handle_error)
    if isinstance(services.api, RotatingClient):
        app.use(_current_token_client(services.api))
    commands.register(app, services)
    actions.register(app, services)
    views.register(app, services)
    options.register(app, services)
    shortcuts.register(app, services)
    events.register(app, services)
    home.register(app, services)
    installs.register(app, services)
    workflow.register(app, services)
    return app


def _current_token_client(api: RotatingClient) -> Callable[..., Any]:
    """OAuth mode: each listener's `client` takes the current token on every call, and a
    token Slack calls expired early is refreshed and the call sent again, as in the worker
    (docs/slack-admin.md, *Token rotation*). A workflow step's request keeps Bolt's
    client, which holds the execution's own token."""

    def middleware(context: BoltContext, next: Callable[[], Any]) -> Any:
        if context.function_bot_access_token is None:
            context["client"] = api.for_request(context.team_id)
        return next()

    return middleware
