"""`python app.py worker`: claims jobs in every worker process, and runs the scheduler in the
one that holds the scheduler lock. Every loop outlives a database outage (docs/operations.md, *What
survives what*)."""

from __future__ import annotations

import threading

from bot.runtime.jobs import JobLoop
from bot.scheduler import run_with_lock
from bot.services import Services
from storage.jobs import JOBS_CHANNEL
from storage.notify import Listener

DEFAULT_JOB_THREADS = 2


class Worker:
    """The worker's loops in this process: job threads, their LISTEN, the scheduler lock."""

    def __init__(self, services: Services, threads: int = DEFAULT_JOB_THREADS) -> None:
        self.services = services
        self.stop_event = threading.Event()
        self.jobs = JobLoop(services.jobs, services.health, threads)
        self.leading = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start every loop (each is watched by the process's health)."""
        self.jobs.start()
        health = self.services.health
        if self.services.db.is_postgres:
            listener = Listener(
                self.services.db,
                {JOBS_CHANNEL: self.jobs.wake},
                self.stop_event,
                beat=lambda problem: health.report("jobs-listen", problem),
            )
            self._spawn("jobs-listen", listener.run)
        self._spawn(
            "scheduler-lock",
            lambda: run_with_lock(self.services, self.stop_event, leading=self.leading),
        )

    def _spawn(self, name: str, target: object) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        self.services.health.watch(name, thread)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the jobs in hand, hand the scheduler lock back, end the loops."""
        self.stop_event.set()
        self.jobs.stop(timeout)
        for thread in self._threads:
            thread.join(timeout=timeout)
