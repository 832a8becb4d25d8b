"""The composition root: plain-Python services from `bot/` joined to Slack through `slack_edge`.

`bot/` depends on its own protocols (`bot.ports`); this is the one place that picks the
slack_sdk implementation of them, so tests, benchmarks and `app.py` build the same thing.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.installs import Installs
from bot.policy import Policy
from bot.services import Services, assemble
from bot.settings import Settings
from handlers.listeners.home import user_home
from slack_edge.checkin_messages import checkin_blocks
from slack_edge.clients import delivery_client, interactive_client
from slack_edge.installs import TokenSource
from slack_edge.presenter import SlackPresenter
from slack_edge.transport import WebTransport


def build_services(settings: Settings, policy: Policy, clock: Clock | None = None) -> Services:
    """Services wired to the Slack Web API at `settings.slack_api_url` (Slack by default);
    in OAuth mode every client takes the installation's current token (slack_edge/installs)."""
    tokens = TokenSource(settings) if settings.oauth_mode else None
    api = interactive_client(settings, tokens)
    services = assemble(
        settings,
        policy,
        clock,
        api=api,
        lookup=WebTransport(api),
        transport=WebTransport(delivery_client(settings, tokens)),
        presenter=SlackPresenter(),
    )
    if tokens is not None:
        services.installs = Installs(services.db, services.clock, tokens.client_id)
        tokens.attach(services.installs)
    services.homes.render = lambda user: user_home(services, user)  # leaders' App Home
    services.checkins.blocks = checkin_blocks  # the check-in's buttons
    return services
