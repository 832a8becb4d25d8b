"""Survey storage on SQLite and PostgreSQL: one survey per churn, never two open, first
answer wins, amendments audited, competitors counted as one, windows by churn time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from storage import survey
from storage.db import Database
from storage.models import Account, Case, OutboxMessage

T0 = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.migrate()
    yield database
    database.dispose()


def _case(session: Session, name: str, currency: str = "USD", link: str | None = None) -> int:
    account = Account(
        external_id=name.lower(), name=name, currency=currency, created_at=T0, updated_at=T0
    )
    session.add(account)
    session.flush()
    root = None
    if link:
        root = OutboxMessage(
            method="chat.postMessage",
            channel="C0CASES",
            payload={},
            next_attempt_at=T0,
            created_at=T0,
            permalink=link,
            state="sent",
        )
        session.add(root)
        session.flush()
    case = Case(
        account_id=account.id,
        track="churn",
        kind="cancellation",
        status="churned",
        source="test",
        created_at=T0,
        updated_at=T0,
        root_message_id=root.id if root else None,
    )
    session.add(case)
    session.flush()
    return case.id


def _answers(cause: str, competitor: str | None = None) -> dict[str, object]:
    key = " ".join(competitor.split()).casefold() if competitor else None
    return {
        "stated_reason": "too expensive",
        "root_cause": cause,
        "controllable": True,
        "competitor": competitor.strip() if competitor else None,
        "competitor_key": key,
        "tried": None,
        "would_come_back": "maybe",
        "notes": None,
    }


def test_one_survey_per_churn_never_two_open(db: Database) -> None:
    with db.session() as session:
        case_id = _case(session, "Acme")
        first = survey.ask(session, case_id, now=T0, asked_to="U0CSM", arr_lost=Decimal(100))
        assert first is not None and first.churn_number == 1
        assert survey.ask(session, case_id, now=T0, asked_to="U0CSM") is None
        assert survey.answer(session, first.id, _answers("price_value"), actor="U0CSM", now=T0)
        assert not survey.answer(session, first.id, _answers("other"), actor="U0X", now=T0)
        second = survey.ask(session, case_id, now=T0 + timedelta(days=3), asked_to="U0CSM")
        assert second is not None and second.churn_number == 2
        assert survey.open_for_case(session, case_id) is second
        assert survey.latest_for_case(session, case_id) is second
        assert survey.withdraw(session, second.id, now=T0)  # reopened before it was answered
        assert not survey.withdraw(session, second.id, now=T0)
        third = survey.ask(session, case_id, now=T0 + timedelta(days=5), asked_to="U0CSM")
        assert third is not None and third.churn_number == 3
    with db.read() as session:
        rows = survey.for_case(session, case_id)
        assert [(r.churn_number, r.status, r.root_cause) for r in rows] == [
            (1, "answered", "price_value"),
            (2, "withdrawn", None),
            (3, "asked", None),
        ]
        assert rows[0].answered_by == "U0CSM" and rows[0].answered_at == T0


def test_the_index_refuses_a_second_open_survey_even_past_the_check(db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    from storage.models import SurveyAnswer

    with db.session() as session:
        case_id = _case(session, "Acme")
        survey.ask(session, case_id, now=T0, asked_to="U0CSM")
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(SurveyAnswer(case_id=case_id, churn_number=2, status="asked", asked_at=T0))
        session.flush()


def test_amendments_change_the_counts_and_are_audited(db: Database) -> None:
    with db.session() as session:
        case_id = _case(session, "Acme")
        row = survey.ask(session, case_id, now=T0, asked_to="U0CSM", arr_lost=Decimal(500))
        assert row is not None
        survey.answer(session, row.id, _answers("price_value"), actor="U0CSM", now=T0)
    window = (T0 - timedelta(days=1), T0 + timedelta(days=1))
    with db.session() as session:
        row = survey.get(session, row.id)
        assert row is not None
        later = T0 + timedelta(hours=2)
        changes = survey.amend(
            session,
            row,
            {**_answers("missing_functionality"), "controllable": False},
            actor="U0MGR",
            now=later,
        )
        assert changes == {
            "root_cause": ["price_value", "missing_functionality"],
            "controllable": [True, False],
        }
        assert (
            survey.amend(
                session,
                row,
                _answers("missing_functionality") | {"controllable": False},
                actor="U0MGR",
                now=later,
            )
            == {}
        )
    with db.read() as session:
        totals = survey.cause_totals(session, *window)
        assert [(t.root_cause, t.count, t.arr) for t in totals] == [
            ("missing_functionality", 1, Decimal(500))
        ]
        [edit] = survey.edits(session, row.id)
        assert edit.actor == "U0MGR" and edit.changes["root_cause"][1] == "missing_functionality"
        assert survey.get(session, row.id).updated_by == "U0MGR"


def test_only_answer_fields_can_be_written(db: Database) -> None:
    with db.session() as session:
        case_id = _case(session, "Acme")
        row = survey.ask(session, case_id, now=T0, asked_to="U0CSM")
        assert row is not None
        with pytest.raises(ValueError, match="status"):
            survey.answer(session, row.id, {"status": "answered"}, actor="U0X", now=T0)


def test_competitors_named_before_are_one_per_key(db: Database) -> None:
    with db.session() as session:
        for i, name in enumerate(["Rivalsoft", "rivalsoft ", "Rivalsoft", "Other Co"]):
            case_id = _case(session, f"A{i}")
            row = survey.ask(session, case_id, now=T0, asked_to="U0CSM")
            assert row is not None
            survey.answer(session, row.id, _answers("price_value", name), actor="U0", now=T0)
    with db.read() as session:
        assert survey.competitor_names(session) == ["Rivalsoft", "Other Co"]
        assert survey.competitor_names(session, "other") == ["Other Co"]
        assert survey.competitor_names(session, "100%_") == []
        counts = survey.competitor_counts(session, T0 - timedelta(days=1), T0 + timedelta(days=1))
        assert counts == [("Rivalsoft", 3), ("Other Co", 1)]


def test_losses_by_cause_in_a_window_by_churn_time(db: Database) -> None:
    with db.session() as session:
        plan = [
            ("Big", Decimal(900), "price_value", T0, "USD"),
            ("Small", Decimal(100), "price_value", T0 + timedelta(days=1), "USD"),
            ("Euro", Decimal(50), "price_value", T0, "EUR"),
            ("Feature", None, "missing_functionality", T0, "USD"),
            ("Late", Decimal(1), "price_value", T0 + timedelta(days=40), "USD"),
        ]
        for name, arr, cause, at, currency in plan:
            case_id = _case(session, name, currency, link=f"https://slack.test/{name}")
            row = survey.ask(session, case_id, now=at, asked_to="U0", arr_lost=arr)
            assert row is not None
            survey.answer(session, row.id, _answers(cause), actor="U0", now=at + timedelta(days=60))
        unanswered = _case(session, "Open")
        survey.ask(session, unanswered, now=T0, asked_to="U0", arr_lost=Decimal(7))
    start, end = T0 - timedelta(days=2), T0 + timedelta(days=20)
    with db.read() as session:
        totals = survey.cause_totals(session, start, end)
        assert [(t.root_cause, t.currency, t.count, t.arr) for t in totals] == [
            ("price_value", "USD", 2, Decimal(1000)),
            ("missing_functionality", "USD", 1, Decimal(0)),
            ("price_value", "EUR", 1, Decimal(50)),
        ]
        lost = survey.losses(session, start, end, causes=["price_value"])
        assert [(loss.account_name, loss.permalink) for loss in lost] == [
            ("Big", "https://slack.test/Big"),
            ("Small", "https://slack.test/Small"),
            ("Euro", "https://slack.test/Euro"),
        ]
        assert [t.root_cause for t in survey.cause_totals(session, start, end, ["nope"])] == []
        assert [r.case_id for r in survey.open_surveys(session)] == [unanswered]
