"""`python app.py worker`: runs the scheduler and delivery in the one worker that holds the
scheduler lock, and claims jobs, in job processes of its own (`JOB_PROCESSES`,
docs/configuration.md) or on threads here; `python app.py jobs` claims jobs only. Every loop
outlives a database outage (docs/operations.md, *What survives what*)."""

from __future__ import annotations

import threading

from bot.runtime.jobs import JobLoop
from bot.runtime.process import ChildProcess
from bot.runtime.scheduler import run_with_lock
from bot.runtime.services import Services
from storage.jobs import JOBS_CHANNEL
from storage.notify import Listener

DEFAULT_JOB_THREADS = 2
JOBS_COMMAND = "jobs"


class Worker:
    """The worker's loops in this process: job threads and their LISTEN (unless jobs run in
    `job_processes` child processes), and the scheduler lock (unless `schedule` is off, as
    in `app.py jobs`)."""

    def __init__(
        self,
        services: Services,
        threads: int = DEFAULT_JOB_THREADS,
        *,
        job_processes: int = 0,
        schedule: bool = True,
    ) -> None:
        self.services = services
        self.stop_event = threading.Event()
        self.jobs = JobLoop(services.jobs, services.health, threads) if not job_processes else None
        self.children = [
            ChildProcess(services.health, JOBS_COMMAND, f"job-process-{n}")
            for n in range(1, job_processes + 1)
        ]
        self.schedule = schedule
        self.leading = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start every loop (each is watched by the process's health)."""
        for child in self.children:
            child.start()
        if self.jobs is not None:
            self._start_jobs(self.jobs)
        if self.schedule:
            self._spawn(
                "scheduler-lock",
                lambda: run_with_lock(self.services, self.stop_event, leading=self.leading),
            )

    def _start_jobs(self, jobs: JobLoop) -> None:
        jobs.start()
        health = self.services.health
        if self.services.db.is_postgres:
            listener = Listener(
                self.services.db,
                {JOBS_CHANNEL: jobs.wake},
                self.stop_event,
                beat=lambda problem: health.report("jobs-listen", problem),
            )
            self._spawn("jobs-listen", listener.run)

    def _spawn(self, name: str, target: object) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        self.services.health.watch(name, thread)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the jobs in hand (here and in the job processes), hand the scheduler lock
        back, end the loops."""
        self.stop_event.set()
        for child in self.children:
            child.terminate()
        if self.jobs is not None:
            self.jobs.stop(timeout)
        for child in self.children:
            child.wait()
        for thread in self._threads:
            thread.join(timeout=timeout)
