"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when TEST_DATABASE_URL is
set), the Slack stand-in, and the whole app served over real HTTP."""

from __future__ import annotations

import contextlib
import gc
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from slack_bolt import App
from waitress.server import create_server

from bot.common.clock import FakeClock
from bot.outbox import Pacer
from bot.policy import Policy, parse_policy
from bot.runtime.jobs import JobLoop
from bot.runtime.services import Services
from bot.runtime.settings import Settings, load_settings
from demo.standin import SlackStandin
from demo.standin.sender import SlackSender
from handlers import acting
from handlers.slack_app import build_bolt_app
from handlers.web import create_web_app
from storage import accounts as accounts_store
from storage import jobs as jobs_store
from storage.db import Database
from storage.models import Case
from tests.schemas import fresh_schema
from tests.workers import ensure_database, worker_url
from wiring import build_services

T = TypeVar("T")
SIGNING_SECRET = "test-signing-secret"
BASE_PG_URL = os.environ.get("TEST_DATABASE_URL")
PG_URL = worker_url(BASE_PG_URL)  # under xdist, this worker's own database


def pytest_configure(config: pytest.Config) -> None:
    """Create this xdist worker's PostgreSQL database before any test asks for it."""
    if BASE_PG_URL and PG_URL and PG_URL != BASE_PG_URL:
        ensure_database(BASE_PG_URL, PG_URL)


@pytest.fixture(scope="session", autouse=True)
def final_garbage_collection() -> Iterator[None]:
    """Free the session's last garbage in the last test's teardown, where an exception
    ignored in a finalizer fails that test (pyproject.toml makes the warning an error). Left
    to pytest's own collection at exit, it is lost under xdist (the worker has reported
    already), and it runs after the controller has begun stopping the worker: execnet sends a
    worker still busy 5 s later a SIGINT, which surfaced as a KeyboardInterrupt "ignored in"
    whatever garbage-collection callback was running."""
    yield
    gc.collect()


TEST_POLICY = """
timezone = "America/New_York"
business_hours = ""

[channels]
cases = "C0CASES"
finance = "C0FINANCE"
reports = "C0LEADERS"
sales = "C0SALES"

[roles]
managers = ["U0MGR"]
save_desk = ["U0SAVE1", "U0SAVE2", "U0SAVE3"]
finance = ["U0FIN"]
controller = ["U0CTRL"]
cfo = ["U0CFO"]
admins = ["U0ADMIN"]
"""


def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test; PostgreSQL gets a schema of its own."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'savedesk.db'}"
        return
    with fresh_schema(PG_URL) as url:
        yield url


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    yield from database_url(tmp_path)


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def policy() -> Policy:
    return parse_policy(TEST_POLICY, "test-policy.toml")


@pytest.fixture
def settings(db_url: str, standin: SlackStandin, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": db_url,
            "POLICY_FILE": str(tmp_path / "policy.toml"),
            "SIGNALS_WEBHOOK_SECRET": "test-signals-secret",
            "STRIPE_WEBHOOK_SECRET": "whsec_test",
        }
    )


class VirtualTime:
    """Elapsed time for the outbox pacer: sleeping advances it instantly."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def unpaced(services: Services) -> Services:
    """Pace deliveries in virtual time, so tests never wait a real second."""
    virtual = VirtualTime()
    services.deliverer.pacer = Pacer(monotonic=virtual.monotonic, sleep=virtual.sleep)
    return services


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head, once per worker (docs/testing.md)."""
    path = tmp_path_factory.mktemp("migrated") / "savedesk.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


def start_migrated(url: str, request: pytest.FixtureRequest) -> None:
    """A test's new SQLite file starts as a copy of the migrated one: every test still runs
    `migrate()` (a check at head), without replaying every migration (about a second each
    on a busy machine). PostgreSQL, and a file already there, are left as they are."""
    path = Path(url.removeprefix("sqlite:///"))
    if PG_URL or not url.startswith("sqlite:///") or path.exists():
        return
    template = request.getfixturevalue("migrated_sqlite")
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


@pytest.fixture
def services(
    settings: Settings, policy: Policy, clock: FakeClock, request: pytest.FixtureRequest
) -> Iterator[Services]:
    start_migrated(settings.database_url, request)
    built = unpaced(build_services(settings, policy, clock))
    built.db.migrate()
    yield built
    built.deliverer.close()
    built.db.dispose()


@dataclass
class RunningApp:
    """The whole app over HTTP: Slack requests go in through `slack`, out to `standin`."""

    services: Services
    standin: SlackStandin
    slack: SlackSender
    base_url: str
    web_bolt: App

    def tick(self) -> None:
        """What a worker does next: wait for the jobs the background job loop is running,
        then run everything that is due."""
        while True:
            eventually(self._jobs_idle)
            self.services.tick()
            if self._jobs_idle():
                return

    def _jobs_idle(self) -> bool:
        """No job running and none due: the background job loop has caught up."""
        with self.services.db.read() as session:
            due = jobs_store.any_due(session, self.services.clock.now())
        return not due and jobs_store.counts_running(self.services.db) == 0


PATIENT_SECONDS = 20
"""How long the app under test may take to answer Slack: a loaded test machine (parallel
workers, docs/testing.md) can take seconds for what takes milliseconds on a quiet one."""


def patient(bolt: App) -> None:
    """Bolt gives up on a listener that has not acknowledged within its `ack_timeout`
    (Slack's 3 s) and answers 404 "unhandled request": a modal's field errors or a
    command's "Opening a case…" would then be lost to a busy machine, not to a fault of the
    app. Under test, every listener
    may take `PATIENT_SECONDS`; Slack retries nothing of these, so nothing else models it.
    The app's own budget (`handlers.acting.ACK_BUDGET_SECONDS`) is raised alike for every
    test (`unhurried_by_default`); tests of the budget set it small themselves."""
    for listener in bolt._listeners:  # Bolt offers no other way to the registered listeners
        listener.ack_timeout = PATIENT_SECONDS


@pytest.fixture(autouse=True)
def unhurried_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's acknowledgement budget is `PATIENT_SECONDS` under test, so a loaded machine
    never turns an answer into the budget's (a 503 left to Slack's retry, a press or a
    command acknowledged empty and answered later): what a test sees does not depend on the
    machine's speed. The budget's own behaviour is tested with it set small
    (tests/edges/test_ack_budget.py, test_events_before_ack.py)."""
    unhurried(monkeypatch)


def unhurried(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's acknowledgement budget becomes `PATIENT_SECONDS` (again, for a test that
    set it small for one delivery and then sends Slack's retries)."""
    monkeypatch.setattr(acting, "ACK_BUDGET_SECONDS", PATIENT_SECONDS)


def serve_until_closed(server: Any) -> None:
    """waitress's loop sees its sockets vanish when closed from another thread: that is
    the normal end here, not an error."""
    with contextlib.suppress(OSError):
        server.run()


def stop_server(server: Any, thread: threading.Thread) -> None:
    """Close a waitress server started with `serve_until_closed`, and its request threads:
    `close()` alone leaves them waiting, and a worker running hundreds of tests would keep
    thousands of idle threads (and their memory) to the end of the run."""
    server.close()
    thread.join(timeout=5)
    server.task_dispatcher.shutdown(timeout=1)


@pytest.fixture
def running_app(services: Services, standin: SlackStandin) -> Iterator[RunningApp]:
    bolt = build_bolt_app(services)
    patient(bolt)
    web = create_web_app(services, bolt)
    server = create_server(web, host="127.0.0.1", port=0, threads=4, asyncore_loop_timeout=0.05)
    thread = threading.Thread(target=serve_until_closed, args=(server,), daemon=True)
    thread.start()
    jobs = JobLoop(services.jobs, services.health, threads=2, poll=0.05)  # a worker's job loop
    jobs.start()
    base_url = f"http://127.0.0.1:{server.effective_port}"
    try:
        sender = SlackSender(
            base_url,
            SIGNING_SECRET,
            response_url_factory=standin.new_response_url,
            timeout=PATIENT_SECONDS + 10,
        )
        yield RunningApp(services, standin, sender, base_url, bolt)
    finally:
        jobs.stop(timeout=5)
        stop_server(server, thread)


def with_policy(services: Services, toml: str) -> Services:
    """Services on the same database and clock under another policy."""
    policy = parse_policy(toml, "test-policy.toml")
    return unpaced(build_services(services.settings, policy, services.clock))


def eventually(check: Callable[[], T], timeout: float = 20.0) -> T:
    """Poll (every few ms) until `check` returns something truthy: for work Bolt does after
    it has acknowledged a request. The timeout only bounds a failure: a passing test waits
    milliseconds, and a busy machine (parallel workers, docs/testing.md) may need seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, "condition not met in time"
            return result
        time.sleep(0.005)


def stored_case(app: RunningApp, case_id: int) -> Case:
    """The case as now committed, read in a unit of work of its own."""
    with app.services.db.read() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def seed_account(services: Services, external_id: str, name: str, **values: Any) -> int:
    """Create an account directly in storage; returns its id."""
    defaults = {"arr": Decimal(60000), "csm": "U0CSM", "account_owner": "U0AE"}
    with services.db.session() as session:
        accounts_store.upsert(
            session, external_id, {"name": name, **defaults, **values}, services.clock.now()
        )
    with services.db.session() as session:
        account = accounts_store.by_external_id(session, external_id)
        assert account is not None
        return account.id
