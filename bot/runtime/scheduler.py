"""APScheduler is the clock: short interval jobs with fixed ids run the due work.

The work itself lives in durable rows (outbox, scheduled steps); the jobs only claim and
hand over, so a restart loses nothing and catches up once. Delivery is a loop of its own
(bot.runtime.delivery_loop): woken by every commit that queued messages — in this process directly,
from other processes through PostgreSQL's NOTIFY — and polling every second as well.

One worker per deployment holds the scheduler lock and runs these; the others wait as
standbys. Every loop here outlives a database outage of any length: a lock that cannot be
asked for, or whose connection died, is asked for again every `poll` seconds, and each
round's outcome goes to the process's health (`/healthz`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler

from bot.runtime.delivery_loop import DeliveryLoop
from bot.runtime.health import Health
from bot.runtime.jobs import worker_name
from bot.runtime.services import Services
from storage import jobs as job_rows
from storage.db import OUTBOX_CHANNEL
from storage.locks import SchedulerLock
from storage.notify import Listener

log = logging.getLogger(__name__)

DELIVER_EVERY_SECONDS = 1
STEPS_EVERY_SECONDS = 5
STANDBY_POLL_SECONDS = 2
SCHEDULER_BEAT = "scheduler"
"""The heartbeat row the lock holder writes every `poll` seconds (bot.runtime.health)."""
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
STOP_WAIT_SECONDS = 10
HUBSPOT_IMPORT_EVERY_HOURS = 1


class Scheduler:
    """The lock holder's loops: due steps (APScheduler), delivery, and LISTEN for commits."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._aps = BackgroundScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
        health = services.health
        self.delivery = DeliveryLoop(
            services.deliver, DELIVER_EVERY_SECONDS, partial(health.report, "delivery")
        )
        self.webhooks = DeliveryLoop(
            services.webhooks.run_once, DELIVER_EVERY_SECONDS, partial(health.report, "webhooks")
        )
        """Outbound webhooks (bot.outbound.delivery), woken like the outbox's delivery."""
        self._stop_listening = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unsubscribe = lambda: None
        self.listener: Listener | None = None

    def start(self) -> None:
        self._aps.add_job(
            self._run_steps,
            "interval",
            seconds=STEPS_EVERY_SECONDS,
            id="run-due-steps",
            replace_existing=True,
        )
        if self.services.hubspot is not None:
            self._aps.add_job(
                self._import_hubspot,
                "interval",
                hours=HUBSPOT_IMPORT_EVERY_HOURS,
                id="hubspot-import",
                replace_existing=True,
                next_run_time=datetime.now(UTC),  # at start too: a new worker imports at once
            )
        self._aps.start()
        health = self.services.health
        health.watch("due-steps")
        self._unsubscribe = self.services.db.on_outbox_commit(self._wake_deliveries)
        self._spawn("delivery", self.delivery.run)
        self._spawn("webhooks", self.webhooks.run)
        if self.services.db.is_postgres:
            self.listener = Listener(
                self.services.db,
                {OUTBOX_CHANNEL: self._wake_deliveries},
                self._stop_listening,
                beat=lambda problem: health.report("outbox-listen", problem),
            )
            self._spawn("outbox-listen", self.listener.run)
        log.info(
            "scheduler started: %s",
            ", ".join([j.id for j in self._aps.get_jobs()] + [t.name for t in self._threads]),
        )

    def _wake_deliveries(self) -> None:
        self.delivery.wake()
        self.webhooks.wake()

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self.services.health.watch(name, thread)
        thread.start()
        self._threads.append(thread)

    def shutdown(self) -> None:
        """Stop the loops; a pass in progress finishes within `STOP_WAIT_SECONDS` or is left
        to end on its own (its rows are leased, so nothing is sent twice)."""
        self._unsubscribe()
        self._stop_listening.set()
        self.delivery.stop()
        self.webhooks.stop()
        if self._aps.running:
            self._aps.shutdown(wait=False)
        for thread in self._threads:
            thread.join(timeout=STOP_WAIT_SECONDS)
        for name in ("due-steps", *(thread.name for thread in self._threads)):
            self.services.health.forget(name)

    def _import_hubspot(self) -> None:
        _import_hubspot_once(self.services)

    def _run_steps(self) -> None:
        try:
            report = self.services.run_steps()
            self.services.jobs.prune()
            if report.claimed:
                log.info("scheduled steps: %s", report.summary())
            self.services.health.report("due-steps", None)
        except Exception as err:
            self.services.health.report("due-steps", f"{type(err).__name__}: {str(err)[:120]}")
            log.warning("running due steps failed (%s); will try again", str(err)[:200])


def _import_hubspot_once(services: Services) -> None:
    try:
        report = services.import_hubspot()
        if report is not None:
            log.info("HubSpot import: %s", report.summary("HubSpot"))
    except Exception as err:
        log.warning("HubSpot import failed (%s); will try again", str(err)[:200])


def run_with_lock(
    services: Services,
    stop: threading.Event,
    poll: float = STANDBY_POLL_SECONDS,
    leading: threading.Event | None = None,
) -> None:
    """Hold the scheduler lock and run the jobs; wait as a standby while another worker
    holds it; go back to standby if the lock's connection dies. Never ends before `stop`,
    whatever the database does (an outage is retried every `poll` seconds)."""
    leading = leading or threading.Event()
    health = services.health
    down = False
    while not stop.is_set():
        lock = SchedulerLock(services.db)
        try:
            if not _wait_for_lock(lock, stop, poll, health):
                return
            down = False
            leading.set()
            _lead(services, lock, stop, poll)
        except Exception as err:
            health.report("scheduler-lock", f"{type(err).__name__}: {str(err)[:120]}")
            if not down:
                log.warning("scheduler lock: %s; trying again every %s s", str(err)[:200], poll)
            down = True
            stop.wait(poll)
        finally:
            leading.clear()
            lock.release()


def _wait_for_lock(lock: SchedulerLock, stop: threading.Event, poll: float, health: Health) -> bool:
    announced = False
    while not lock.try_acquire():
        health.report("scheduler-lock", None)
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
    holder = worker_name()
    try:
        while True:
            if not lock.still_held():
                log.error("lost the scheduler lock's database connection; back to standby")
                return
            _beat(services, holder)
            services.health.report("scheduler-lock", None)
            if stop.wait(poll):
                return
    finally:
        scheduler.shutdown()


def _beat(services: Services, holder: str) -> None:
    """Say that this process holds the lock (real time: liveness, not business time)."""
    with services.db.session() as session:
        job_rows.beat(session, SCHEDULER_BEAT, holder, services.health.wall())
