"""The composition root: plain-Python services from `bot/` joined to Slack through `slack_edge`.

`bot/` depends on its own protocols (`bot.ports`); this is the one place that picks the
slack_sdk implementation of them, so tests, benchmarks and `app.py` build the same thing.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.policy import Policy, parse_policy
from bot.services import Services, assemble
from bot.settings import Settings
from handlers.listeners.home import user_home
from slack_edge.clients import delivery_client, interactive_client
from slack_edge.transport import WebTransport


def build_services(settings: Settings, policy: Policy, clock: Clock | None = None) -> Services:
    """Services wired to the Slack Web API at `settings.slack_api_url` (Slack by default)."""
    api = interactive_client(settings)
    services = assemble(
        settings,
        policy,
        clock,
        api=api,
        lookup=WebTransport(api),
        transport=WebTransport(delivery_client(settings)),
    )
    services.homes.render = lambda user: user_home(services, user)  # leaders' App Home
    return services


def case_worker_services(settings: Settings, policy_text: str | None) -> Services:
    """The services of a case-work process (`bot.case_work`): built like the web process's
    from the same settings and the policy text the web process started with (None: the
    built-in defaults), so a process started again later never reads an edited file."""
    source = str(settings.policy_file)
    policy = Policy.defaults() if policy_text is None else parse_policy(policy_text, source)
    return build_services(settings, policy)


def policy_text(settings: Settings) -> str | None:
    """The policy file's text as it is now (None when there is none: the defaults)."""
    try:
        return settings.policy_file.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return None
