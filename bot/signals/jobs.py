"""Opening a case as a durable job: what a `/churn cancel` or the new-case modal accepted is
written before the acknowledgement and opened by a worker (bot/runtime/jobs.py).

Running the job twice (its worker died after the case committed) opens nothing twice: a
signal without a dedupe key of its own gets the job's (`("savedesk-job", id)`), so the
second run finds the first run's case.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot import outbox
from bot.cases.models import Signal
from bot.common.clock import Clock, as_utc
from bot.common.lookup import AccountMatch, find_account
from bot.runtime.jobs import Claimed, Done, GiveUp, Handler, JobKind, Jobs
from bot.signals.service import SignalService
from storage.db import Database

JOB_DEDUPE = "savedesk-job"
APOLOGY = ":warning: Sorry, the case could not be opened. (reference `{reference}`)"


def signal_to_json(signal: Signal) -> dict[str, Any]:
    """A Signal as JSON (money as a decimal string, dates ISO 8601)."""
    data = asdict(signal)
    data["arr"] = None if signal.arr is None else str(signal.arr)
    data["renewal_date"] = signal.renewal_date.isoformat() if signal.renewal_date else None
    issued = signal.respond_issued
    data["respond_issued"] = as_utc(issued).isoformat() if issued else None
    return data


def signal_from_json(data: dict[str, Any]) -> Signal:
    """The Signal `signal_to_json` wrote."""
    values = dict(data)
    values["arr"] = None if data.get("arr") is None else Decimal(data["arr"])
    renewal = data.get("renewal_date")
    values["renewal_date"] = date.fromisoformat(renewal) if renewal else None
    issued = data.get("respond_issued")
    values["respond_issued"] = as_utc(datetime.fromisoformat(issued)) if issued else None
    for pair in ("dedupe", "reply_in"):
        values[pair] = tuple(data[pair]) if data.get(pair) else None
    return Signal(**values)


def queue_open(jobs: Jobs, account_id: int, signal: Signal) -> int:
    """Write the job that opens (or attaches) `signal`'s case for `account_id` and commit
    it; returns the job's id. Raises the database's error if it cannot be written."""
    payload = {"account_id": account_id, "signal": signal_to_json(signal)}
    return jobs.enqueue(JobKind.OPEN_CASE, payload)


def queue_for_typed(jobs: Jobs, typed: str, signal: Signal | None) -> AccountMatch:
    """Find the account `typed` names and, when it is known and there is a `signal` to open,
    queue the job that opens its case, in one unit of work (a command's acknowledgement waits
    on one commit, not a read and then a write). Returns the match either way. Raises the
    database's error if it cannot be written: the caller must not acknowledge then."""
    with jobs.db.session() as session:
        match = find_account(session, typed)
        if match.account is not None and signal is not None:
            payload = {"account_id": match.account.id, "signal": signal_to_json(signal)}
            jobs.add(session, JobKind.OPEN_CASE, payload)
    return match


def open_handler(signals: SignalService) -> Handler:
    """The OPEN_CASE handler: the case (or the attach) commits with its own dedupe key."""

    def run(job: Claimed, done: Done) -> None:
        signal = signal_from_json(job.payload["signal"])
        if signal.dedupe is None:
            signal = replace(signal, dedupe=(JOB_DEDUPE, str(job.id)))
        signals.open(int(job.payload["account_id"]), signal)

    return run


def open_give_up(db: Database, clock: Clock) -> GiveUp:
    """Tell the person who asked (their command's response_url) that it failed for good."""

    def tell(job: Claimed, reference: str) -> None:
        signal = signal_from_json(job.payload["signal"])
        if not signal.respond_url:
            return
        with db.session() as session:
            apology = APOLOGY.format(reference=reference)
            outbox.respond(
                session,
                clock.now(),
                signal.respond_url,
                apology,
                replace=signal.replace_ack,  # "Opening…" was shown
                issued=signal.respond_issued,
                person=signal.actor,
            )

    return tell
