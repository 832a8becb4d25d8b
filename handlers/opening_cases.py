"""Opening a case from Slack: the work is written as a durable job before the acknowledgement
goes out (bot/runtime/jobs.py), so what Slack was told is being opened is never lost, and a
worker opens it."""

from __future__ import annotations

from bot.cases.models import Signal
from bot.common.lookup import AccountMatch
from bot.runtime.services import Services
from bot.signals.jobs import queue_for_typed, queue_open


def queue_case(services: Services, account_id: int, signal: Signal) -> None:
    """Commit the job that opens (or attaches to) the case. Raises the database's error when
    it cannot be written: the listener must not acknowledge then."""
    queue_open(services.jobs, account_id, signal)


def queue_typed(services: Services, typed: str, signal: Signal | None) -> AccountMatch:
    """Look up the account typed and, if known, commit the job that opens `signal`'s case
    with it (None: only look up). Raises the database's error when it cannot be written."""
    return queue_for_typed(services.jobs, typed, signal)
