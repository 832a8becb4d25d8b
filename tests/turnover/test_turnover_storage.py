"""The turnover tables: the migration matches the models on SQLite and PostgreSQL, the
database refuses an answer outside its enum, and a plan step key is unique per turnover."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bot.turnover.answers import (
    Answers,
    Coverage,
    Destination,
    Learned,
    Replacement,
    RoleFate,
)
from bot.turnover.plan import StepState
from storage import accounts as accounts_store
from storage import turnover as turnover_store
from storage.db import Database, alembic_config
from storage.models import Base, Case

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def database(db_url: str):  # type: ignore[no-untyped-def]
    db = Database(db_url)
    db.migrate()
    yield db
    db.dispose()


def _turnover_diffs(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    return [d for d in diffs if "turnover" in repr(d) or "plan_steps" in repr(d)]


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore:Skipped unsupported")
def test_migration_matches_the_models(database: Database) -> None:
    assert _turnover_diffs(database) == []
    columns = {c["name"] for c in inspect(database.engine).get_columns("turnovers")}
    assert {"learned_timing", "coverage", "destination", "role_fate", "replacement"} <= columns


def _insert_turnover(conn, **overrides: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            "INSERT INTO accounts (id, external_id, name, currency, is_stub, created_at,"
            " updated_at)"
            " VALUES (1, 'NW-1', 'Northwind', 'USD', false, :now, :now)"
        ),
        {"now": NOW},
    )
    conn.execute(
        text(
            "INSERT INTO cases (id, account_id, track, kind, status, risk, source, details,"
            " created_at, updated_at) VALUES (1, 1, 'churn', 'contact_left', 'new', 'high',"
            " 'slack', '{}', :now, :now)"
        ),
        {"now": NOW},
    )
    values = {
        "learned_timing": "after_left",
        "coverage": "no_other_contact",
        "destination": "another_company",
        "role_fate": "replaced",
        "replacement": "unknown",
        **overrides,
    }
    conn.execute(
        text(
            "INSERT INTO turnovers (id, case_id, account_id, contact_name, learned_timing,"
            " coverage, destination, role_fate, replacement, learned_at, created_at,"
            " updated_at) VALUES (1, 1, 1, 'Dana', :learned_timing, :coverage, :destination,"
            " :role_fate, :replacement, :now, :now, :now)"
        ),
        {**values, "now": NOW},
    )


@pytest.mark.parametrize(
    "column", ["learned_timing", "coverage", "destination", "role_fate", "replacement"]
)
def test_an_answer_outside_its_enum_is_refused(database: Database, column: str) -> None:
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        _insert_turnover(conn, **{column: "free text"})


def test_a_step_key_is_unique_per_turnover(database: Database) -> None:
    insert_step = text(
        "INSERT INTO plan_steps (turnover_id, key, text, done, position)"
        " VALUES (1, 'reach_boss', 'Reach the boss', false, :position)"
    )
    with database.engine.begin() as conn:
        _insert_turnover(conn)
        conn.execute(insert_step, {"position": 0})
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(insert_step, {"position": 1})


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore:Skipped unsupported")
def test_downgrade_removes_the_tables_and_upgrade_restores_them(database: Database) -> None:
    with database.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    assert not inspect(database.engine).has_table("turnovers")
    database.migrate()
    assert inspect(database.engine).has_table("plan_steps")
    assert _turnover_diffs(database) == []


# --- queries (storage/turnover.py) --------------------------------------------------------


def _case(session, status: str = "new") -> Case:  # type: ignore[no-untyped-def]
    account = accounts_store.stub(session, f"NW-{status}", NOW)
    row = Case(
        account_id=account.id,
        track="churn",
        kind="contact_left",
        status=status,
        source="slack",
        details={},
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(row)
    session.flush()
    return row


def _answers() -> dict[str, str | None]:
    return Answers(
        "Dana",
        Learned.AFTER_LEFT,
        Coverage.NO_OTHER_CONTACT,
        Destination.ANOTHER_COMPANY,
        RoleFate.REPLACED,
        Replacement.UNKNOWN,
        new_company="Globex",
    ).as_columns()


def test_plan_saved_by_key_ticked_once_and_totalled_over_open_cases(database: Database) -> None:
    with database.session() as s:
        case = _case(s)
        closed = _case(s, "saved")
        t = turnover_store.create(
            s,
            case_id=case.id,
            account_id=case.account_id,
            answers=_answers(),
            learned_at=NOW,
            created_by="U1",
            now=NOW,
        )
        other = turnover_store.create(
            s,
            case_id=closed.id,
            account_id=closed.account_id,
            answers=_answers(),
            learned_at=NOW,
            created_by="U1",
            now=NOW,
        )
        specs = [StepState("a", "A", position=0), StepState("b", "B", position=1)]
        first = turnover_store.save_plan(s, t.id, specs)
        turnover_store.save_plan(s, other.id, specs)
        ids = {row.key: row.id for row in first}
    with database.session() as s:
        assert turnover_store.set_done(s, ids["a"], done=True, by="U2", at=NOW)
        assert not turnover_store.set_done(s, ids["a"], done=True, by="U3", at=NOW)
    with database.session() as s:
        assert turnover_store.progress(s, [t.id]) == {t.id: (1, 2)}
        assert turnover_store.open_plan_totals(s) == (1, 2)
        kept = [StepState("a", "A", done=True, done_by="U2", done_at=NOW, position=0)]
        rows = turnover_store.save_plan(s, t.id, [*kept, StepState("c", "C", position=1)])
        assert rows[0].id == ids["a"]  # same row: its buttons keep working
    with database.session() as s:
        saved = turnover_store.steps(s, t.id)
        assert [(r.key, r.done, r.done_by) for r in saved] == [
            ("a", True, "U2"),
            ("c", False, None),
        ]
        assert [r.contact_name for r in turnover_store.for_case(s, case.id)] == ["Dana"]
        assert turnover_store.end_risk(s, t.id, at=NOW, seconds=60)
        assert not turnover_store.end_risk(s, t.id, at=NOW, seconds=99)
    with database.session() as s:
        row = turnover_store.get(s, t.id)
        assert row is not None and row.time_at_risk_seconds == 60
        assert turnover_store.at_risk_for_case(s, case.id) == []
        assert Answers.from_columns(row).new_company == "Globex"
