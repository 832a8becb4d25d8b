"""`/churn cancel` is acknowledged ("Opening…") after one read and no write, and the case
work never holds up the next acknowledgement; an attach is a handful of statements."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select

from bot.cases.models import Opened, Signal
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


def test_acknowledged_before_any_write_and_never_behind_case_work(
    running_app: RunningApp, held: threading.Event
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme Corp")
    writes: list[str] = []

    def on_execute(_conn, _cursor, statement: str, *_args) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "BEGIN", "PRAGMA")):
            writes.append(statement.split()[0])

    event.listen(app.services.db.engine, "before_cursor_execute", on_execute)
    try:
        # More commands than Bolt has listener threads (5): each is acknowledged although
        # every earlier one's case work is still waiting.
        for n in range(8):
            answer = app.slack.slash_command(f"cancel acme reason {n}", user_id="U0CSM")
            assert answer.status == 200
            assert "Opening a case for *Acme Corp*" in answer.text
        assert writes == [] and count_cases(app) == 0
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

    def on_execute(_conn, _cursor, statement: str, *_args) -> None:
        statements.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", on_execute)
    try:
        again = Signal(kind="usage_drop", source="/churn", actor="U0CSM", summary="again")
        assert services.signals.open(account, again).attached
    finally:
        event.remove(services.db.engine, "before_cursor_execute", on_execute)
    work = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA"))]
    assert len(work) <= 10, work
    assert not any("count(" in s.lower() for s in work), "no routing for an attach"
