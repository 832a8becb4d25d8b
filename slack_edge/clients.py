"""Slack Web API clients, pointed at SLACK_API_URL when set (a local stand-in in tests)."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.runtime.settings import Settings
from slack_edge.installs import RotatingClient, TokenSource

DEFAULT_API_URL = "https://slack.com/api/"
DELIVERY_TIMEOUT = 15  # seconds per call; the outbox's lease (bot/outbox/deliverer.py) is longer


def _client(settings: Settings, tokens: TokenSource | None, timeout: int) -> WebClient:
    """One bot token (SLACK_BOT_TOKEN), or in OAuth mode the installation's current one."""
    base_url = settings.slack_api_url or DEFAULT_API_URL
    if tokens is not None:
        return RotatingClient(tokens, base_url=base_url, timeout=timeout)
    return WebClient(token=settings.slack_bot_token, base_url=base_url, timeout=timeout)


def interactive_client(settings: Settings, tokens: TokenSource | None = None) -> WebClient:
    """For calls made while someone waits (views.open, lookups): slack_sdk retries briefly."""
    client = _client(settings, tokens, 10)
    client.retry_handlers[:] = [
        ConnectionErrorRetryHandler(max_retry_count=1),
        RateLimitErrorRetryHandler(max_retry_count=1),
        ServerErrorRetryHandler(max_retry_count=1),
    ]
    return client


def delivery_client(settings: Settings, tokens: TokenSource | None = None) -> WebClient:
    """For the outbox deliverer: no in-process retries, the outbox rows retry durably."""
    client = _client(settings, tokens, DELIVERY_TIMEOUT)
    client.retry_handlers.clear()
    return client
