"""Survey follow-ups and the digest as durable steps: due times from the escalation ladder
in business hours, one digest per month, and a survey's steps stop when it is closed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from bot.policy import Policy, parse_policy
from bot.survey import schedule
from bot.survey.policy import MonthlySchedule
from storage import survey
from storage.db import Database
from storage.models import Account, Case, ScheduledStep

POLICY = parse_policy(
    """
timezone = "America/New_York"
business_hours = "09:00-17:00"
[escalation]
acknowledge_within = "4h"
escalate_after = "1d"
repeat_every = "1d"
"""
)
FRIDAY_3PM = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 15:00 in New York


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.migrate()
    yield database
    database.dispose()


def _steps(db: Database) -> list[tuple[str, str, datetime]]:
    with db.read() as session:
        rows = session.scalars(select(ScheduledStep).order_by(ScheduledStep.id))
        return [(r.key, r.state, r.due_at) for r in rows]


WORKING = parse_policy(
    """
timezone = "America/New_York"
business_hours = "09:00-17:00"
[escalation]
acknowledge_within = "4h"
escalate_after = "1d"
repeat_every = "1d"
[people]
escalation_clock = "working"
"""
)
MONDAY_9 = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
MONDAY_11 = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
MONDAY_3PM = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("policy", "due"),
    [
        # the owner's working time: 2 h on Friday and 2 h on Monday; one working day on
        pytest.param(WORKING, (MONDAY_11, MONDAY_3PM, MONDAY_3PM), id="working"),
        # elapsed, the default: 19:00 Friday and Saturday 15:00 wait for Monday's opening
        pytest.param(POLICY, (MONDAY_9, MONDAY_9, MONDAY_9), id="elapsed"),
    ],
)
def test_ladder_lands_in_business_hours_and_stops_when_closed(
    db: Database, policy: Policy, due: tuple[datetime, datetime, datetime]
) -> None:
    with db.session() as session:
        account = Account(external_id="a", name="A", created_at=FRIDAY_3PM, updated_at=FRIDAY_3PM)
        session.add(account)
        session.flush()
        case = Case(
            account_id=account.id,
            track="churn",
            kind="cancellation",
            status="churned",
            source="test",
            created_at=FRIDAY_3PM,
            updated_at=FRIDAY_3PM,
        )
        session.add(case)
        session.flush()
        answer = survey.ask(session, case.id, now=FRIDAY_3PM, asked_to="U0CSM")
        assert answer is not None
        schedule.survey_asked(session, policy, answer, FRIDAY_3PM)
        schedule.schedule_repeat(session, policy, answer, 2, FRIDAY_3PM)
    prefix = f"survey:{answer.id}:"
    assert _steps(db) == [
        (f"{prefix}survey_nudge", "pending", due[0]),
        (f"{prefix}survey_escalate", "pending", due[1]),
        (f"{prefix}survey_repeat:2", "pending", due[2]),
    ]
    with db.session() as session:
        assert schedule.survey_closed(session, answer, FRIDAY_3PM) == 3
    assert {state for _key, state, _due in _steps(db)} == {"cancelled"}


def test_one_digest_step_per_month(db: Database) -> None:
    monthly = MonthlySchedule(1, time(9, 0))
    with db.session() as session:
        assert schedule.schedule_digest(session, monthly, POLICY, FRIDAY_3PM)
        assert not schedule.schedule_digest(session, monthly, POLICY, FRIDAY_3PM)
        assert not schedule.schedule_digest(session, None, POLICY, FRIDAY_3PM)
    assert _steps(db) == [
        ("survey_digest:2026-12", "pending", datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    ]
