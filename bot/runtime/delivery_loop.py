"""The worker's delivery job: run the deliverer as soon as a unit of work has queued messages,
and at least every second anyway.

Wake-ups come from commits in this process (`Database.on_outbox_commit`) and, on
PostgreSQL, from other processes' commits (`storage.notify.OutboxListener`); the poll is
the safety net for anything missed (a lost LISTEN connection, SQLite across processes).
Wake-ups that arrive during a pass are kept, so the next pass starts right after it: none
is lost. Pacing per channel and Slack's refusals are the deliverer's (bot/outbox): a pass
that ended with the workspace's delivery paused (429, auth, outage) is followed by the next
only after the full poll interval, however many commits arrive meanwhile; the pause itself,
kept in the database, decides when Slack is asked again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.outbox import DeliveryReport

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


class DeliveryLoop:
    """Runs `deliver` when woken and at least every `poll` seconds, until stopped."""

    def __init__(
        self,
        deliver: Callable[[], DeliveryReport],
        poll: float = POLL_SECONDS,
        report: Callable[[str | None], None] = lambda _problem: None,
    ) -> None:
        """`report` is told after each pass: None (it ran) or why it failed (the process's
        health)."""
        self._deliver = deliver
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.passes = 0  # delivery passes run (for tests and logs)
        self._failing = False
        self.report = report

    def wake(self) -> None:
        """Ask for a pass now (cheap, never blocks: safe from a commit hook)."""
        self._wake.set()

    def stop(self) -> None:
        """End the loop after the pass in progress (which delivers what is due)."""
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        """Thread target."""
        while not self._stop.is_set():
            self._wake.wait(self.poll)
            if self._stop.is_set():
                return
            self._wake.clear()
            report = self._pass()
            if report is not None and report.stopped:
                self._stop.wait(self.poll)  # Slack asked us to slow down: poll rhythm only

    def _pass(self) -> DeliveryReport | None:
        self.passes += 1
        try:
            report = self._deliver()
        except Exception as err:
            self.report(f"{type(err).__name__}: {str(err)[:120]}")
            if not self._failing:  # once per outage, not once a second
                log.warning("outbox delivery failed (%s); will try again", str(err)[:200])
            self._failing = True
            return None
        if self._failing:
            log.info("outbox delivery works again")
        self._failing = False
        self.report(None)
        return report
