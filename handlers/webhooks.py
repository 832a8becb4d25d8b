"""Placeholder: webhook routes arrive in a later change."""

from __future__ import annotations

from flask import Flask

from bot.services import Services


def register(web: Flask, services: Services) -> None:
    """Register the webhook routes."""
