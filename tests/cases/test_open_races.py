"""Races on opening a case for a brand-new account: a stub account, one open case per track
and a dedupe key per signal are each won once; losers run again, never answer an error."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cases.models import ExternalAccount, Opened, Signal
from bot.runtime.services import Services
from bot.signals.webhook import WebhookSignal
from storage import accounts as accounts_store
from storage import cases as case_store
from storage.models import Account, Case
from tests.conftest import PG_URL


def webhook(account: str, kind: str, external_id: str) -> WebhookSignal:
    return WebhookSignal(account=account, kind=kind, summary="s", external_id=external_id)


def fire_at_once(services: Services, signals: list[WebhookSignal]) -> list[Opened | Exception]:
    start = threading.Barrier(len(signals))

    def one(signal: WebhookSignal) -> Opened | Exception:
        start.wait()
        try:
            return services.signals.receive(signal)
        except Exception as error:  # an error is what the test looks for
            return error

    with ThreadPoolExecutor(max_workers=len(signals)) as pool:
        return list(pool.map(one, signals))


def accounts_and_cases(services: Services, external_id: str) -> tuple[int, dict[str, int]]:
    with services.db.read() as session:
        stubs = session.scalar(
            select(func.count()).select_from(Account).where(Account.external_id == external_id)
        )
        tracks = session.execute(select(Case.track, func.count()).group_by(Case.track)).all()
    return int(stubs or 0), {track: count for track, count in tracks}


def test_a_mixed_burst_for_a_new_account_with_no_team_yet(services: Services) -> None:
    """Cancellations and payment failures (two tracks), retried ids among them, before
    anyone resolved the team: one stub, one case per track, and no errors."""
    kinds = ("cancellation", "payment_failed")
    signals = [webhook("newco-9", kinds[n % 2], f"e-{n % 6}") for n in range(24)]
    results = fire_at_once(services, signals)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert accounts_and_cases(services, "newco-9") == (1, {"churn": 1, "payment": 1})


def in_thread(work: Callable[[], object]) -> None:
    """Another process's signal, committed while the caller's transaction is open."""
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(20)


@pytest.mark.skipif(not PG_URL, reason="SQLite's one writer never interleaves transactions")
def test_a_signal_that_loses_every_race_and_needs_the_team_is_a_duplicate(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst interleaving, forced: the signal loses the stub race (to a first signal on
    the other track), needs a fresh team, loses the open-case race, then loses its dedupe
    key to its own retry; it is answered as that duplicate, not with a 500."""
    cases, caller = services.cases, threading.get_ident()
    mine = Signal(kind="payment_failed", source="crm", summary="x", dedupe=("crm", "x"))
    other = Signal(kind="cancellation", source="crm", summary="a", dedupe=("crm", "a"))
    payment = Signal(kind="payment_failed", source="crm", summary="b", dedupe=("crm", "b"))
    calls = {"account": 0, "payment_case": 0, "seen": 0}
    real_account, real_open_case, real_seen = (
        accounts_store.by_external_id,
        case_store.open_case,
        case_store.seen,
    )

    def by_external_id(session: Session, external_id: str) -> Account | None:
        found = real_account(session, external_id)
        if threading.get_ident() == caller and calls["account"] == 0:
            calls["account"] += 1  # a churn signal commits the stub and its case now
            in_thread(lambda: cases.open(ExternalAccount("nc"), other))
        return found

    def open_case(session: Session, account_id: int, track: str) -> Case | None:
        found = real_open_case(session, account_id, track)
        if threading.get_ident() == caller and track == "payment":
            calls["payment_case"] += 1
            if calls["payment_case"] == 2:  # another payment signal opens the case now
                in_thread(lambda: cases.open(account_id, payment))
        return found

    def seen(session: Session, source: str, external_id: str) -> Any:
        found = real_seen(session, source, external_id)
        if threading.get_ident() == caller and external_id == "x":
            calls["seen"] += 1
            if calls["seen"] == 3:  # the webhook's retry of this very signal attaches now
                account_id = real_account(session, "nc").id  # type: ignore[union-attr]
                in_thread(lambda: cases.open(account_id, mine))
        return found

    monkeypatch.setattr(accounts_store, "by_external_id", by_external_id)
    monkeypatch.setattr(case_store, "open_case", open_case)
    monkeypatch.setattr(case_store, "seen", seen)
    assert services.cases.team_service.if_fresh() is None
    assert cases.open(ExternalAccount("nc"), mine).duplicate
    assert calls == {"account": 1, "payment_case": 3, "seen": 4}  # five runs in all
