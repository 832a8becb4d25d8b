"""Turnover changes in a unit of work, on SQLite and PostgreSQL: a plan is recorded, ticked
to 100% (which stops the time at risk once), updated keeping done steps, and closed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.turnover import records
from bot.turnover.answers import Answers, Coverage, Destination, Learned, Replacement, RoleFate
from bot.turnover.plan import PlanContext
from bot.turnover.policy import TurnoverPolicy
from storage import accounts as accounts_store
from storage import turnover as turnover_store
from storage.db import Database
from storage.models import Case

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
POLICY = TurnoverPolicy()
CONTEXT = PlanContext()
DANA = Answers(
    "Dana",
    Learned.AFTER_LEFT,
    Coverage.NO_OTHER_CONTACT,
    Destination.ANOTHER_COMPANY,
    RoleFate.REPLACED,
    Replacement.UNKNOWN,
    new_company="Globex",
)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    db.migrate()
    yield db
    db.dispose()


def _case(database: Database) -> tuple[int, int]:
    with database.session() as s:
        account = accounts_store.stub(s, "NW-1", T0)
        case = Case(
            account_id=account.id,
            track="churn",
            kind="contact_left",
            source="slack",
            details={},
            created_at=T0,
            updated_at=T0,
        )
        s.add(case)
        s.flush()
        return case.id, account.id


def _record(database: Database, case_id: int, account_id: int, answers: Answers = DANA) -> int:
    with database.session() as s:
        turnover, steps = records.record(
            s,
            case_id=case_id,
            account_id=account_id,
            answers=answers,
            policy=POLICY,
            context=CONTEXT,
            by="U1",
            now=T0,
        )
        assert [step.done for step in steps] == [False] * len(steps)
        return turnover.id


def test_ticking_every_step_reaches_100_and_stops_the_clock_once(database: Database) -> None:
    case_id, account_id = _case(database)
    tid = _record(database, case_id, account_id)
    with database.read() as s:
        [progress] = records.progress_of_case(s, case_id)
        step_ids = [step.id for step in turnover_store.steps(s, tid)]
    assert (progress.contact_name, progress.percent, progress.total) == ("Dana", 0, 4)
    for i, step_id in enumerate(step_ids):
        with database.session() as s:
            tick = records.tick(s, step_id, done=True, by="U2", now=T0 + timedelta(days=i + 1))
            assert tick is not None and tick.changed
            assert tick.risk_ended == (i == len(step_ids) - 1)
    with database.session() as s:
        again = records.tick(s, step_ids[-1], done=True, by="U3", now=T0 + timedelta(days=30))
        assert again is not None and not again.changed and not again.risk_ended
        assert again.turnover.time_at_risk_seconds == 4 * 86400
        assert records.progress_of_case(s, case_id)[0].percent == 100
        assert records.tick(s, 999999, done=True, by="U3", now=T0) is None


def test_update_keeps_done_steps_and_restarts_a_stopped_clock(database: Database) -> None:
    case_id, account_id = _case(database)
    tid = _record(database, case_id, account_id)
    with database.session() as s:
        for step in turnover_store.steps(s, tid):
            records.tick(s, step.id, done=True, by="U2", now=T0 + timedelta(hours=2))
    with database.session() as s:
        turnover = turnover_store.get(s, tid)
        assert turnover is not None and turnover.risk_ended_at is not None
        later = replace(DANA, replacement=Replacement.EXTERNAL_NEW)
        rows = records.update(s, turnover, answers=later, policy=POLICY, context=CONTEXT, now=T0)
        by_key = {row.key: row for row in rows}
        assert by_key["identify_replacement"].done and by_key["reach_boss_or_hr"].done
        assert not by_key["full_onboarding"].done
        assert turnover.replacement == "external_new"
        assert turnover.risk_ended_at is None
    with database.session() as s:
        [stopped] = records.case_closed(s, case_id, T0 + timedelta(days=3))
        assert stopped.time_at_risk_seconds == 3 * 86400
        assert records.case_closed(s, case_id, T0 + timedelta(days=4)) == []


def test_several_contacts_each_have_their_own_plan(database: Database) -> None:
    case_id, account_id = _case(database)
    _record(database, case_id, account_id)
    lee = replace(DANA, contact_name="Lee", destination=Destination.UNKNOWN)
    _record(database, case_id, account_id, lee)
    with database.read() as s:
        progress = records.progress_of_case(s, case_id)
    assert [(p.contact_name, p.total) for p in progress] == [("Dana", 4), ("Lee", 3)]


def test_bad_answers_are_refused_before_anything_is_written(database: Database) -> None:
    case_id, account_id = _case(database)
    with pytest.raises(ValueError, match="contact_name"):
        _record(database, case_id, account_id, replace(DANA, contact_name=" "))
    with database.read() as s:
        assert records.progress_of_case(s, case_id) == []
