"""Workers: one leads (holds the scheduler lock), the others wait as standbys and take
over when it stops or its database connection dies."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from bot.common.clock import FakeClock
from bot.policy import Policy
from bot.runtime.scheduler import run_with_lock
from bot.runtime.services import Services
from bot.runtime.settings import Settings
from storage.locks import SCHEDULER_LOCK_KEY
from tests.conftest import PG_URL, eventually
from wiring import build_services

POLL = 0.02


class Worker:
    """`python app.py worker` in a thread: its own engine, its own stop switch."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.stop = threading.Event()
        self.leading = threading.Event()
        self.thread = threading.Thread(
            target=run_with_lock, args=(services, self.stop, POLL, self.leading), daemon=True
        )
        self.thread.start()

    def halt(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.services.db.dispose()


@pytest.fixture
def workers(
    settings: Settings, policy: Policy, clock: FakeClock, services: Services
) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    for _ in range(2):
        started.append(Worker(build_services(settings, policy, clock)))
        eventually(lambda: any(w.leading.is_set() for w in started))
    yield started
    for worker in started:
        worker.halt()


def test_one_leads_and_the_standby_takes_over_when_it_stops(workers: list[Worker]) -> None:
    first, second = workers
    assert first.leading.is_set() and not second.leading.is_set()
    first.halt()
    eventually(second.leading.is_set)


@pytest.mark.skipif(not PG_URL, reason="connection death is a PostgreSQL matter")
def test_standby_takes_over_when_the_leaders_connection_dies(
    workers: list[Worker], services: Services
) -> None:
    first, second = workers
    with services.db.engine.begin() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND classid = :k AND granted AND objid::bigint = "
                "(hashtext(current_database() || '.' || current_schema())::bigint & 4294967295)"
            ),
            {"k": SCHEDULER_LOCK_KEY},
        )
    eventually(second.leading.is_set)
    eventually(lambda: not first.leading.is_set())
    assert first.thread.is_alive(), "the old leader went back to standby, it did not exit"
