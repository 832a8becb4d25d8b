"""APScheduler is the clock: short interval jobs with fixed ids run the due work.

The work itself lives in durable rows (outbox, scheduled steps); the jobs only claim and
hand over, so a restart loses nothing and catches up once.
"""

from __future__ import annotations

import logging
import threading

from apscheduler.schedulers.background import BackgroundScheduler

from bot.services import Services
from storage.locks import SchedulerLock

log = logging.getLogger(__name__)

DELIVER_EVERY_SECONDS = 1
STEPS_EVERY_SECONDS = 5
STANDBY_POLL_SECONDS = 5
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}


class Scheduler:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._aps = BackgroundScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)

    def start(self) -> None:
        self._aps.add_job(
            self._run_steps,
            "interval",
            seconds=STEPS_EVERY_SECONDS,
            id="run-due-steps",
            replace_existing=True,
        )
        self._aps.add_job(
            self._deliver,
            "interval",
            seconds=DELIVER_EVERY_SECONDS,
            id="deliver-outbox",
            replace_existing=True,
        )
        self._aps.start()
        log.info("scheduler started: %s", ", ".join(j.id for j in self._aps.get_jobs()))

    def shutdown(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=True)

    def _run_steps(self) -> None:
        try:
            report = self.services.run_steps()
            if report.claimed:
                log.info("scheduled steps: %s", report.summary())
        except Exception:
            log.exception("running due steps failed; will try again")

    def _deliver(self) -> None:
        try:
            self.services.deliver()
        except Exception:
            log.exception("outbox delivery failed; will try again")


def run_with_lock(
    services: Services,
    stop: threading.Event,
    poll: float = STANDBY_POLL_SECONDS,
    leading: threading.Event | None = None,
) -> None:
    """Hold the scheduler lock and run the jobs; wait as a standby while another worker
    holds it, and go back to standby if the lock's connection dies."""
    leading = leading or threading.Event()
    while not stop.is_set():
        lock = SchedulerLock(services.db)
        if not _wait_for_lock(lock, stop, poll):
            return
        leading.set()
        try:
            _lead(services, lock, stop, poll)
        finally:
            leading.clear()
            lock.release()


def _wait_for_lock(lock: SchedulerLock, stop: threading.Event, poll: float) -> bool:
    announced = False
    while not lock.try_acquire():
        if not announced:
            log.info("standby: another worker holds the scheduler lock")
            announced = True
        if stop.wait(poll):
            return False
    log.info("scheduler lock acquired")
    return True


def _lead(services: Services, lock: SchedulerLock, stop: threading.Event, poll: float) -> None:
    scheduler = Scheduler(services)
    scheduler.start()
    try:
        while not stop.wait(poll):
            if not lock.still_held():
                log.error("lost the scheduler lock's database connection; back to standby")
                return
    finally:
        scheduler.shutdown()
