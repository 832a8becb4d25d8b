"""The step runner: claims due scheduled steps and runs each kind's handler exactly once.

A step's handler and its "done" mark share one transaction, so the messages the handler
queues in the outbox commit together with the mark, or not at all. A runner that dies
after claiming leaves the step claimed; when the lease runs out another pass claims it
again and runs it once. A runner that outlives its lease finds its fenced `complete`
refused and rolls back, so a step another runner took over meanwhile is never doubled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.common.clock import Clock
from storage import steps as rows
from storage.db import Database
from storage.models import ScheduledStep

log = logging.getLogger(__name__)

StepHandler = Callable[[Session, ScheduledStep, datetime], None]
"""Does a step's work inside the caller's transaction (queue outbox rows, schedule the next
step); it must not commit, and it raises to fail the step."""

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 5
BATCH = 500
MAX_PER_RUN = 20_000


class LeaseLost(Exception):
    """Another runner reclaimed the step (our lease ran out) while we worked on it."""


@dataclass
class StepReport:
    """What one `run_due` did. `skipped`: lease lost to another runner mid-run (effects rolled
    back); `retrying`: the database failed under the step, which is claimed again later."""

    done: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    retrying: int = 0

    @property
    def claimed(self) -> int:
        return self.done + self.failed + self.unknown + self.skipped + self.retrying

    def summary(self) -> str:
        line = f"steps done {self.done}, failed {self.failed}, unknown kind {self.unknown}"
        extra = [f"skipped {self.skipped}"] if self.skipped else []
        extra += [f"retrying {self.retrying}"] if self.retrying else []
        return line + (f" ({', '.join(extra)})" if extra else "")


class StepRunner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        handlers: Mapping[str, StepHandler],
        *,
        lease: timedelta = LEASE,
        max_per_run: int = MAX_PER_RUN,
    ) -> None:
        self.db = db
        self.clock = clock
        self.handlers = handlers
        self.lease = lease
        self.max_per_run = max_per_run

    def run_due(self, limit: int = BATCH) -> StepReport:
        """Claim and run batches of `limit` until nothing is due or `max_per_run` is reached
        (a restart after downtime catches up over a few ticks, never in one storm)."""
        report = StepReport()
        while report.claimed < self.max_per_run:
            batch = self._claim(min(limit, self.max_per_run - report.claimed))
            if not batch:
                break
            for step in batch:
                self._run_one(step, report)
        return report

    def _claim(self, limit: int) -> list[ScheduledStep]:
        with self.db.session() as session:
            return rows.claim_due(session, now=self.clock.now(), limit=limit, lease=self.lease)

    def _run_one(self, step: ScheduledStep, report: StepReport) -> None:
        handler = self.handlers.get(step.kind)
        if handler is None:
            self._fail(step, f"no handler for kind {step.kind!r}")
            report.unknown += 1
            return
        if step.attempts > MAX_ATTEMPTS:  # its runs keep dying with the process: stop
            self._fail(step, f"gave up after {MAX_ATTEMPTS} runs that never finished")
            report.failed += 1
            return
        try:
            self._run_handler(handler, step)
        except LeaseLost:
            log.warning("step %s (%s) outlived its lease; rolled back", step.id, step.kind)
            report.skipped += 1
        except OperationalError:
            log.warning(
                "database error in step %s; retried after its lease", step.id, exc_info=True
            )
            report.retrying += 1
        except Exception as exc:
            log.exception("step %s (%s) failed", step.id, step.kind)
            self._fail(step, f"{type(exc).__name__}: {exc}")
            report.failed += 1
        else:
            report.done += 1

    def _run_handler(self, handler: StepHandler, step: ScheduledStep) -> None:
        """Handler and done mark in one transaction; any exception rolls back both."""
        now = self.clock.now()
        lease = step.claimed_until
        if lease is None or now >= lease:
            raise LeaseLost
        with self.db.session() as session:
            attached = session.merge(step, load=False)
            handler(session, attached, now)
            if not rows.complete(session, step.id, now=self.clock.now(), claimed_until=lease):
                raise LeaseLost

    def _fail(self, step: ScheduledStep, error: str) -> None:
        with self.db.session() as session:
            rows.fail(
                session,
                step.id,
                now=self.clock.now(),
                error=error,
                claimed_until=step.claimed_until,
            )
