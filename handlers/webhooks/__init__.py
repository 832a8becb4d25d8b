"""HTTP webhooks from other systems, one module per sender, each with
`register(web, services)`."""

from __future__ import annotations

from flask import Flask

from bot.runtime.services import Services
from handlers.webhooks import signals, stripe


def register(web: Flask, services: Services) -> None:
    """Register every webhook route; each exists only when its secret is set (else 404)."""
    signals.register(web, services)
    stripe.register(web, services.finance.stripe, services.settings.stripe_webhook_secret)
