"""Slash commands: `/churn` (`churn.py`), its subcommands' answers one module per domain
(`hours.py`, `invoices.py`)."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime.services import Services
from handlers.acting import command
from handlers.listeners.commands.churn import churn


def register(app: App, services: Services) -> None:
    """`/churn`, acknowledged by `handlers.acting.command` (with an answer or not)."""
    app.command("/churn")(command(lambda call, ack: churn(services, call, ack)))
