"""APScheduler is the clock: short interval jobs with fixed ids run the due work.

The work itself lives in durable rows (outbox, scheduled steps); the jobs only claim and
hand over, so a restart loses nothing and catches up once. Delivery is a loop of its own
(bot.delivery_loop): woken by every commit that queued messages — in this process directly,
from other processes through PostgreSQL's NOTIFY — and polling every second as well.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from bot.delivery_loop import DeliveryLoop
from bot.services import Services
from storage.locks import SchedulerLock
from storage.notify import OutboxListener

log = logging.getLogger(__name__)

DELIVER_EVERY_SECONDS = 1
STEPS_EVERY_SECONDS = 5
STANDBY_POLL_SECONDS = 5
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}


class Scheduler:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._aps = BackgroundScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
        self.delivery = DeliveryLoop(services.deliver, DELIVER_EVERY_SECONDS)
        self._stop_listening = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unsubscribe = lambda: None
        self.listener: OutboxListener | None = None

    def start(self) -> None:
        self._aps.add_job(
            self._run_steps,
            "interval",
            seconds=STEPS_EVERY_SECONDS,
            id="run-due-steps",
            replace_existing=True,
        )
        self._aps.start()
        self._unsubscribe = self.services.db.on_outbox_commit(self.delivery.wake)
        self._spawn("deliver-outbox", self.delivery.run)
        if self.services.db.is_postgres:
            self.listener = OutboxListener(
                self.services.db, self.delivery.wake, self._stop_listening
            )
            self._spawn("outbox-listen", self.listener.run)
        log.info(
            "scheduler started: %s",
            ", ".join([j.id for j in self._aps.get_jobs()] + [t.name for t in self._threads]),
        )

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def shutdown(self) -> None:
        self._unsubscribe()
        self._stop_listening.set()
        self.delivery.stop()
        if self._aps.running:
            self._aps.shutdown(wait=True)
        for thread in self._threads:
            thread.join(timeout=120)  # delivery finishes its pass (what is due) first

    def _run_steps(self) -> None:
        try:
            report = self.services.run_steps()
            if report.claimed:
                log.info("scheduled steps: %s", report.summary())
        except Exception:
            log.exception("running due steps failed; will try again")


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
