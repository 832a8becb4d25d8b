"""One durable job system: work accepted with an acknowledgement is a row, claimed by workers.

A listener that must answer Slack within 3 s writes the work as a job and commits before it
acknowledges; workers claim jobs (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional
UPDATE on SQLite), woken by NOTIFY on PostgreSQL and by polling every second anyway. A job
whose worker died is claimed again once its lease runs out, so `kill -9` of any process
loses nothing acknowledged (docs/operations.md, *What survives what*). Each kind's handler is
idempotent: it either commits its effect together with the job's completion (`done`), or
carries a dedupe key so that running it again finds its first effect.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from bot.common.clock import Clock
from bot.common.vocab import JobState
from bot.runtime.health import Health
from storage import jobs as rows
from storage.db import Database, unavailable

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=15)
"""How long a claim lasts: a job whose worker died is run again this long after its claim
(jobs take milliseconds; a handler that may take longer must be split)."""
MAX_ATTEMPTS = 8
"""Claims before a job that keeps failing is given up on and the person told."""
MAX_BACKOFF = timedelta(minutes=5)
POLL_SECONDS = 1.0
BATCH = 10
"""Jobs one claim takes (bench/README.md, *Bursts*): a burst's bookkeeping per batch."""
KEEP_DONE = timedelta(days=7)


class JobKind(StrEnum):
    """The kinds of work done after an acknowledgement."""

    OPEN_CASE = "open_case"
    PUBLISH_REPORT = "publish_report"
    STRIPE_RENEWAL = "stripe_renewal"
    """Hold or release a renewal invoice in Stripe (bot/writeback)."""
    STRIPE_OFFER = "stripe_offer"
    """An accepted save offer becomes its Stripe object (bot/writeback)."""
    HUBSPOT_OUTCOME = "hubspot_outcome"
    """A case outcome written to its HubSpot company (bot/writeback/hubspot_outcomes.py)."""


@dataclass(frozen=True)
class Claimed:
    """A job a worker holds: its id, kind, payload (JSON) and which claim this is (1, 2…)."""

    id: int
    kind: JobKind
    payload: dict[str, Any]
    attempt: int


Done = Callable[[Session], None]
"""Marks the claimed job done inside the caller's unit of work (its effect and its
completion commit together); raises `storage.jobs.LeaseLost` if another worker took it."""
Handler = Callable[[Claimed, Done], None]
GiveUp = Callable[[Claimed, str], None]
"""Told when a job is given up on, with the log reference: says so to whoever asked."""


@dataclass
class JobReport:
    """What one pass did."""

    done: int = 0
    retrying: int = 0
    failed: int = 0

    def summary(self) -> str:
        return f"jobs done {self.done}, retrying {self.retrying}, failed {self.failed}"


def worker_name() -> str:
    """This process, as a claim names it: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Jobs:
    """Queue jobs (any process) and run due ones (workers, `tick`)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        handlers: Mapping[JobKind, Handler] | None = None,
        give_up: Mapping[JobKind, GiveUp] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.handlers: dict[JobKind, Handler] = dict(handlers or {})
        self.give_up: dict[JobKind, GiveUp] = dict(give_up or {})
        self.worker = worker_name()
        self.wakeup = threading.Event()
        """Set when this process queued a job (other processes: NOTIFY, or the poll)."""

    def enqueue(self, kind: JobKind, payload: dict[str, Any]) -> int:
        """Write the job and commit; returns its id. Raises the database's error when it
        cannot be written: the caller must not acknowledge then."""
        with self.db.session() as session:
            job_id = self.add(session, kind, payload)
        return job_id

    def add(self, session: Session, kind: JobKind, payload: dict[str, Any]) -> int:
        """Write the job in the caller's unit of work (it runs once that commits); returns
        its id. This process's job loop is woken at once; others by NOTIFY or their poll."""
        job_id = rows.add(session, kind.value, payload, self.clock.now()).id
        self.wakeup.set()  # early is harmless: an uncommitted job is not claimable yet
        return job_id

    def run_once(self, limit: int = 100) -> JobReport:
        """Run up to `limit` due jobs, one at a time. Raises when the database is unavailable
        (the loop backs off); a job it was running is claimed again after its lease."""
        report = JobReport()
        with self.db.read() as session:
            if not rows.any_due(session, self.clock.now()):
                return report
        while report.done + report.retrying + report.failed < limit:
            with self.db.session() as session:
                batch = rows.claim_batch(session, self.clock.now(), LEASE, self.worker, BATCH)
                claimed = [
                    Claimed(job.id, JobKind(job.kind), dict(job.payload), job.attempts)
                    for job in batch
                ]
            if not claimed:
                break
            self._mark_done([job for job in claimed if self._run(job, report)], report)
        return report

    def _run(self, job: Claimed, report: JobReport) -> bool:
        """Run one job's handler; True when it succeeded and is to be marked done."""

        def done(session: Session) -> None:
            rows.mark_done(session, job.id, job.attempt, self.clock.now())

        try:
            self.handlers[job.kind](job, done)
            return True
        except rows.LeaseLost:
            log.warning("job %s (%s) was taken over by another worker", job.id, job.kind)
        except Exception as err:
            if unavailable(err):
                raise  # not the job's fault: claimed again after its lease, nothing counted
            self._failed(job, err, report)
        return False

    def _mark_done(self, jobs: list[Claimed], report: JobReport) -> None:
        """Mark a batch's succeeded jobs done in one commit (each alone if a lease was lost)."""
        try:
            with self.db.session() as session:
                for job in jobs:
                    rows.mark_done(session, job.id, job.attempt, self.clock.now())
            report.done += len(jobs)
            return
        except rows.LeaseLost:
            pass
        for job in jobs:
            try:
                with self.db.session() as session:
                    rows.mark_done(session, job.id, job.attempt, self.clock.now())
                report.done += 1
            except rows.LeaseLost:
                log.warning("job %s (%s) was taken over by another worker", job.id, job.kind)

    def _failed(self, job: Claimed, err: Exception, report: JobReport) -> None:
        reference = uuid.uuid4().hex[:8]
        error = f"{type(err).__name__}: {str(err)[:300]} (reference {reference})"
        log.error("job %s (%s) failed, reference %s", job.id, job.kind, reference, exc_info=err)
        now = self.clock.now()
        with self.db.session() as session:
            if job.attempt < MAX_ATTEMPTS:
                delay = min(timedelta(seconds=2 ** (job.attempt - 1)), MAX_BACKOFF)
                rows.release(
                    session, job.id, job.attempt, state=JobState.PENDING, error=error,
                    run_after=now + delay, now=now,
                )  # fmt: skip
                report.retrying += 1
                return
            rows.release(session, job.id, job.attempt, state=JobState.FAILED, error=error, now=now)
        report.failed += 1
        tell = self.give_up.get(job.kind)
        if tell is not None:
            tell(job, reference)

    def prune(self) -> int:
        """Forget done jobs older than a week (failed ones stay for `check`)."""
        with self.db.session() as session:
            return rows.prune(session, self.clock.now() - KEEP_DONE)


class JobLoop:
    """`threads` threads that run due jobs whenever woken and at least every `poll` seconds,
    surviving any database outage (each round's outcome goes to `health`)."""

    def __init__(
        self, jobs: Jobs, health: Health, threads: int = 2, poll: float = POLL_SECONDS
    ) -> None:
        self.jobs = jobs
        self.health = health
        self.threads = threads
        self.poll = poll
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.threads):
            name = f"jobs-{n + 1}"
            thread = threading.Thread(target=self._run, args=(name,), name=name, daemon=True)
            self.health.watch(name, thread)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """Run due jobs now (cheap, never blocks: safe from a NOTIFY listener)."""
        self.jobs.wakeup.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the job in hand, then end the threads."""
        self._stop.set()
        self.jobs.wakeup.set()
        for thread in self._threads:
            thread.join(timeout=timeout)

    def _run(self, name: str) -> None:
        backoff, down = 0.0, False
        while not self._stop.is_set():
            if backoff:
                self._stop.wait(backoff)
            else:
                self.jobs.wakeup.wait(self.poll)
                self.jobs.wakeup.clear()
            if self._stop.is_set():
                return
            try:
                while self.jobs.run_once(limit=20).done and not self._stop.is_set():
                    pass
            except Exception as err:
                self.health.report(name, f"{type(err).__name__}: {str(err)[:120]}")
                if not down:
                    log.warning("%s: cannot run jobs (%s); retrying", name, str(err)[:200])
                backoff, down = min(max(backoff * 2, 0.25), 2.0), True
                continue
            if down:
                log.info("%s: running jobs again", name)
            self.health.report(name, None)
            backoff, down = 0.0, False
