"""Slack Web API clients, pointed at SLACK_API_URL when set (a local stand-in in tests)."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.settings import Settings

DEFAULT_API_URL = "https://slack.com/api/"
DELIVERY_TIMEOUT = 15  # seconds per call; the outbox's lease (bot/outbox/deliverer.py) is longer


def interactive_client(settings: Settings) -> WebClient:
    """For calls made while someone waits (views.open, lookups): slack_sdk retries briefly."""
    client = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url or DEFAULT_API_URL,
        timeout=10,
    )
    client.retry_handlers[:] = [
        ConnectionErrorRetryHandler(max_retry_count=1),
        RateLimitErrorRetryHandler(max_retry_count=1),
        ServerErrorRetryHandler(max_retry_count=1),
    ]
    return client


def delivery_client(settings: Settings) -> WebClient:
    """For the outbox deliverer: no in-process retries, the outbox rows retry durably."""
    client = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url or DEFAULT_API_URL,
        timeout=DELIVERY_TIMEOUT,
    )
    client.retry_handlers.clear()
    return client
