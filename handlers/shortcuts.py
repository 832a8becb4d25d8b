"""Placeholder: listeners arrive in a later change."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services


def register(app: App, services: Services) -> None:
    """Register this surface's listeners."""
