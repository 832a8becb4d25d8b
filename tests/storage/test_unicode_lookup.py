"""Account look-up folds case for all of Unicode, on SQLite as on PostgreSQL: `/churn`,
the type-ahead and names in messages compare a stored search key, not `lower()`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from storage.db import Database, alembic_config
from storage.models import Account, Case
from storage.search import search_key
from tests.conftest import RunningApp, eventually, seed_account


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    seed_account(running_app.services, "cust-4411", "Ärztehaus Nord")
    seed_account(running_app.services, "cust-5000", "Straßenbau Süd")
    seed_account(running_app.services, "acme", "Acme Corp")
    return running_app


def cases(app: RunningApp) -> list[Case]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def suggest(app: RunningApp, value: str) -> list[str]:
    payload = {
        "type": "block_suggestion",
        "action_id": "account",
        "block_id": "account",
        "value": value,
        "user": {"id": "U0CSM"},
        "team": {"id": "T0TEST"},
        "view": {"id": "V1", "callback_id": "new_case"},
    }
    answer = app.slack.interactive(payload)
    assert answer.status == 200
    return [o["text"]["text"] for o in answer.json()["options"]]


def account_of(app: RunningApp, case: Case) -> str:
    with app.services.db.read() as session:
        account = session.get(Account, case.account_id)
        assert account is not None
        return account.external_id


def test_churn_cancel_by_unicode_name_opens_the_case_directly(app: RunningApp) -> None:
    response = app.slack.slash_command('cancel "Ärztehaus Nord" budget cut', user_id="U0CSM")
    assert response.status == 200
    case = eventually(lambda: cases(app) and cases(app)[0])
    assert account_of(app, case) == "cust-4411"
    assert case.stated_reason == "budget cut"
    assert not app.standin.calls("views.open")


def test_churn_cancel_by_upper_case_name_without_accents(app: RunningApp) -> None:
    response = app.slack.slash_command("cancel “ARZTEHAUS NORD” moving to paper", user_id="U0CSM")
    assert response.status == 200
    case = eventually(lambda: cases(app) and cases(app)[0])
    assert account_of(app, case) == "cust-4411"


@pytest.mark.parametrize("typed", ["ärz", "ÄRZ", "arztehaus", "Ärztehaus N"])
def test_type_ahead_folds_unicode_case_and_accents(app: RunningApp, typed: str) -> None:
    assert suggest(app, typed) == ["Ärztehaus Nord (cust-4411)"]


def test_type_ahead_sharp_s_and_wildcards(app: RunningApp) -> None:
    assert suggest(app, "STRASSENBAU") == ["Straßenbau Süd (cust-5000)"]
    assert suggest(app, "%") == []
    assert suggest(app, "_cme") == []


def test_renamed_account_keeps_its_search_key(app: RunningApp) -> None:
    with app.services.db.session() as session:
        account = session.scalar(select(Account).where(Account.external_id == "acme"))
        assert account is not None
        account.name = "Öko Acme"
    assert suggest(app, "oko") == ["Öko Acme (acme)"]
    assert suggest(app, "acme c") == []


def test_migration_fills_the_key_for_existing_accounts(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (external_id, name, currency, is_stub, created_at,"
                " updated_at) VALUES ('cust-4411', 'Ärztehaus Nord', 'USD', false, :t, :t)"
            ),
            {"t": now},
        )
    db.migrate()
    with db.read() as session:
        account = session.scalar(select(Account))
        assert account is not None
        assert account.search_name == search_key("Ärztehaus Nord") == "arztehaus nord"
    db.dispose()
