"""`/churn cancel` is acknowledged ("Opening…") once its job is committed (one read, one
INSERT), and the case work never holds up the next acknowledgement; an attach is a handful
of statements."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event, func, select

from bot.cases.models import Opened, Signal
from bot.people.team import TEAM_TTL_SECONDS
from bot.runtime.services import Services
from storage.models import Case, CaseEvent
from tests.conftest import RunningApp, eventually, seed_account


@pytest.fixture
def held(running_app: RunningApp, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Case work waits on this gate (it runs after the acknowledgement)."""
    gate = threading.Event()
    signals = running_app.services.signals
    original = signals.open

    def gated(account_id: int, signal: Signal) -> Opened:
        assert gate.wait(10)
        return original(account_id, signal)

    monkeypatch.setattr(signals, "open", gated)
    yield gate
    gate.set()


def count_cases(app: RunningApp) -> int:
    with app.services.db.read() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def test_acknowledged_once_its_job_is_committed_and_never_behind_case_work(
    running_app: RunningApp, held: threading.Event
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme Corp")
    writes: list[str] = []

    def on_execute(_conn, _cursor, statement: str, *_args) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "BEGIN", "PRAGMA")):
            writes.append(" ".join(statement.split()[:3]))

    event.listen(app.services.db.engine, "before_cursor_execute", on_execute)
    try:
        # More commands than Bolt has listener threads (5): each is acknowledged although
        # every earlier one's case work is still waiting.
        for n in range(8):
            answer = app.slack.slash_command(f"cancel acme reason {n}", user_id="U0CSM")
            assert answer.status == 200
            assert "Opening a case for *Acme Corp*" in answer.text
        assert writes.count("INSERT INTO jobs") == 8 and count_cases(app) == 0
        # besides the jobs, only the worker's claims: the case work waits behind the gate
        assert set(writes) <= {"INSERT INTO jobs", "UPDATE jobs SET"}, writes
    finally:
        event.remove(app.services.db.engine, "before_cursor_execute", on_execute)
    held.set()
    eventually(lambda: signals_handled(app) == 8)
    assert count_cases(app) == 1


def signals_handled(app: RunningApp) -> int:
    with app.services.db.read() as session:
        attached = session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.type == "signal")
        )
    return count_cases(app) + (attached or 0)


def test_an_attach_is_one_unit_of_work_of_a_handful_of_statements(
    running_app: RunningApp,
) -> None:
    services = running_app.services
    account = seed_account(services, "acme", "Acme Corp")
    signal = Signal(kind="cancellation", source="/churn", actor="U0CSM", summary="first")
    assert services.signals.open(account, signal).created
    statements: list[str] = []
    mine = threading.get_ident()  # not the background job loop's polls

    def on_execute(_conn, _cursor, statement: str, *_args) -> None:
        if threading.get_ident() == mine:
            statements.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", on_execute)
    try:
        again = Signal(kind="usage_drop", source="/churn", actor="U0CSM", summary="again")
        assert services.signals.open(account, again).attached
    finally:
        event.remove(services.db.engine, "before_cursor_execute", on_execute)
    work = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA"))]
    # the open case with its root, the timeline event, the reply, the case's updated_at
    # (and NOTIFY on PostgreSQL): nothing else, neither the account nor the root again
    assert len(work) <= 5, work
    assert not any("count(" in s.lower() for s in work), "no routing for an attach"
    assert not any("FROM accounts" in s for s in work), "the account is not needed"


def recording(services: Services) -> tuple[list[str], Callable[[], None]]:
    """Statements and COMMITs run on `services`' engine until the returned `stop()`."""
    seen: list[str] = []

    def on_execute(_conn, _cursor, statement: str, *_args) -> None:
        seen.append(statement)

    def on_commit(_conn) -> None:
        seen.append("COMMIT")

    engine = services.db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)

    def stop() -> None:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)

    return seen, stop


def test_a_new_case_is_one_unit_of_work(services: Services) -> None:
    """Looking for the open case, routing and opening commit once: a burst of first signals
    for new accounts is the costliest moment of the signals webhook (bench/README.md)."""
    account = seed_account(services, "acme", "Acme Corp")
    services.cases.team()  # a fresh team, as after the first case of a burst
    services.directory.people(["U0CSM", "U0AE"])  # the account's people are known to be real
    statements, stop = recording(services)
    try:
        signal = Signal(kind="cancellation", source="crm", summary="leaving", dedupe=("crm", "1"))
        assert services.signals.open(account, signal).created
    finally:
        stop()
    assert statements.count("COMMIT") == 1, statements
    assert not [s for s in statements if "ROLLBACK" in s.upper()]


def test_the_team_is_never_resolved_inside_a_transaction(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resolving people may call Slack (emails, user groups): never while a database
    connection is held, even when the team has gone stale and a new case needs it."""
    held_during_resolve: list[int] = []
    directory = services.cases.team_service.directory
    original = directory.resolve

    def resolve(ref: str) -> tuple[str, ...]:
        held_during_resolve.append(services.db.engine.pool.checkedout())
        return original(ref)

    monkeypatch.setattr(directory, "resolve", resolve)
    acme = seed_account(services, "acme", "Acme Corp")
    beta = seed_account(services, "beta", "Beta Inc")
    assert services.signals.open(acme, Signal(kind="cancellation", source="crm")).created
    assert held_during_resolve and set(held_during_resolve) == {0}
    resolved = len(held_during_resolve)
    again = services.signals.open(acme, Signal(kind="usage_drop", source="crm"))
    assert again.attached and len(held_during_resolve) == resolved, "an attach needs no team"
    team_service = services.cases.team_service
    assert team_service._team is not None
    team_service._team = (time.monotonic() - TEAM_TTL_SECONDS - 1, team_service._team[1])
    assert services.signals.open(beta, Signal(kind="cancellation", source="crm")).created
    assert len(held_during_resolve) > resolved and set(held_during_resolve) == {0}
