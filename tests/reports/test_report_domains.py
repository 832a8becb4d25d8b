"""Report figures that read the turnover, survey and finance tables, against hand-computed
values. Each group runs once its domain's models are in storage/models.py (they arrive
with their own branches); until then it is skipped, never faked."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

import storage.models as models
from bot.reports.figures import compute, with_notes
from bot.reports.models import LadderLine, Ranked, Report
from bot.reports.words import as_text
from bot.runtime.services import Services
from tests.report_data import Book

D = Decimal
DAY = timedelta(days=1)
needs = {
    name: pytest.mark.skipif(not hasattr(models, name), reason=f"{name} model not merged yet")
    for name in ("PlanStep", "SurveyAnswer", "Invoice", "StripeSubscription")
}


def week(services: Services) -> Report:
    with services.db.read() as session:
        return compute(session, services.policy, "week", services.clock.now())


def add(services: Services, model: str, **values: Any) -> int:
    with services.db.session() as session:
        row = getattr(models, model)(**values)
        session.add(row)
        session.flush()
        return int(row.id)


def turnover(services: Services, book: Book, case_id: int, done: int, steps: int) -> None:
    now = book.now
    with services.db.read() as session:
        account_id = session.get(models.Case, case_id).account_id  # type: ignore[union-attr]
    tid = add(
        services,
        "Turnover",
        case_id=case_id,
        account_id=account_id,
        contact_name="Pat",
        learned_timing="after_left",
        coverage="other_contact",
        destination="another_company",
        role_fate="replaced",
        replacement="unknown",
        learned_at=now,
        created_at=now,
        updated_at=now,
    )
    for n in range(steps):
        add(
            services,
            "PlanStep",
            turnover_id=tid,
            key=f"s{n}",
            text="step",
            done=n < done,
            position=n,
        )


@needs["PlanStep"]
def test_plans_complete_over_open_cases_only(services: Services) -> None:
    book = Book(services, services.clock.now())
    turnover(services, book, book.case("contact_left", "working", 100000), 3, 5)
    turnover(services, book, book.case("contact_left", "new", 50000), 0, 5)
    closed = book.case("contact_left", "saved", 10000, closed_ago=DAY)
    turnover(services, book, closed, 5, 5)
    f = week(services).kind("contact_left")
    assert (f.plan_done, f.plan_steps) == (3, 10)
    assert f.plan_complete == pytest.approx(0.3)


def churn_with_survey(
    services: Services, book: Book, arr: int, ago: timedelta, **survey: Any
) -> int:
    case_id = book.case("usage_drop", "churned", arr, closed_ago=ago)
    add(
        services,
        "SurveyAnswer",
        case_id=case_id,
        churn_number=1,
        status="answered",
        asked_at=book.now - ago,
        arr_lost=D(arr),
        **survey,
    )
    return case_id


@needs["SurveyAnswer"]
def test_root_causes_competitors_and_involuntary(services: Services) -> None:
    book = Book(services, services.clock.now())
    churn_with_survey(services, book, 30000, DAY, root_cause="price_value")
    churn_with_survey(
        services,
        book,
        20000,
        2 * DAY,
        root_cause="price_value",
        competitor="Rivalsoft",
        competitor_key="rivalsoft",
    )
    churn_with_survey(
        services,
        book,
        60000,
        3 * DAY,
        root_cause="missing_functionality",
        competitor="rivalsoft ",
        competitor_key="rivalsoft",
        involuntary=True,
    )
    churn_with_survey(services, book, 99000, 20 * DAY, root_cause="other")  # before the week
    book.case("usage_drop", "saved", 40000, closed_ago=DAY)
    f = week(services).overall
    assert [(r.key, r.label, r.count, r.arr) for r in f.root_causes] == [
        ("missing_functionality", "Missing functionality", 1, D(60000)),
        ("price_value", "Price too high for the value", 2, D(50000)),
    ]
    assert [(r.key, r.count, r.arr) for r in f.competitors] == [("rivalsoft", 2, D(80000))]
    assert (f.churned, f.involuntary, f.voluntary, f.arr_involuntary) == (3, 1, 2, D(60000))
    assert f.save_rate == pytest.approx(1 / 4)


@needs["SurveyAnswer"]
def test_top_lists_stand_beside_the_previous_periods(services: Services) -> None:
    """docs/reports.md, *Trend*: the week's top root causes and competitors, then the week
    before's."""
    book = Book(services, services.clock.now())
    churn_with_survey(services, book, 30000, DAY, root_cause="price_value")
    churn_with_survey(services, book, 20000, 9 * DAY, root_cause="missing_functionality")
    churn_with_survey(services, book, 10000, 10 * DAY, root_cause="price_value")
    text = as_text(week(services))
    assert (
        "Top root causes: Price too high for the value (1, $30,000) (before: Missing "
        "functionality (1, $20,000), Price too high for the value (1, $10,000))" in text
    )
    assert "Top competitors" not in text  # neither week has one


@needs["SurveyAnswer"]
def test_other_as_root_cause_is_named_by_its_notes(services: Services) -> None:
    book = Book(services, services.clock.now())
    churn_with_survey(services, book, 50000, DAY, root_cause="other", notes="Moved it  in-house")
    churn_with_survey(services, book, 9000, DAY, root_cause="other", notes="Founder retired")
    churn_with_survey(services, book, 30000, DAY, root_cause="price_value")
    report = week(services)
    labels = [r.label for r in report.overall.root_causes]
    assert labels == ["Other: Moved it in-house; Founder retired", "Price too high for the value"]
    assert [r.label for r in report.kind("usage_drop").root_causes] == labels
    assert "Top root causes: Other: Moved it in-house; Founder retired (2, " in as_text(report)


def test_many_notes_are_shortened_and_counted() -> None:
    other = Ranked("other", "Other (say what in the notes)", 5, D(1))
    (shown,) = with_notes((other,), ["a" * 80, "b", "b", "c", "d", "e"])
    assert shown.label == f"Other: {'a' * 59}…; b; c; +2 more"
    assert with_notes((other,), []) == (other,)


@needs["StripeSubscription"]
def test_a_stripe_involuntary_cancellation_counts_as_involuntary(services: Services) -> None:
    book = Book(services, services.clock.now())
    case_id = book.case("cancellation", "churned", 12000, closed_ago=DAY)
    book.case("cancellation", "churned", 8000, closed_ago=DAY)
    with services.db.read() as session:
        account_id = session.get(models.Case, case_id).account_id  # type: ignore[union-attr]
    add(
        services,
        "StripeSubscription",
        subscription_id="sub_1",
        account_id=account_id,
        status="canceled",
        involuntary=True,
        case_id=case_id,
        last_event_at=book.now,
        created_at=book.now,
        updated_at=book.now,
    )
    f = week(services).kind("cancellation")
    assert (f.churned, f.involuntary, f.arr_involuntary) == (2, 1, D(12000))


@needs["Invoice"]
def test_payment_line_overdue_by_ladder_step(services: Services) -> None:
    book = Book(services, services.clock.now())
    book.case("payment_failed", "new", 15000)
    book.case("payment_failed", "saved", 7000, closed_ago=DAY)
    today = services.clock.now().astimezone(services.policy.timezone).date()
    for n, (amount, late, status, step) in enumerate(
        [
            (1000, 35, "open", 30),
            (2000, 40, "open", 30),
            (5000, 70, "open", 60),
            (700, 10, "open", 0),
            (900, -5, "open", 0),
            (4000, 95, "paid", 90),
        ]
    ):
        add(
            services,
            "Invoice",
            invoice_id=f"in_{n}",
            account_id=1,
            amount_due=D(amount),
            amount_remaining=D(amount),
            currency="USD",
            due_date=today - timedelta(days=late),
            status=status,
            source="csv",
            dunning_days=step,
            created_at=book.now,
            updated_at=book.now,
        )
    payment = week(services).payment
    assert (payment.open, payment.arr_at_risk) == (1, D(15000))
    assert payment.ladder == (
        LadderLine(0, 1, D(700)),
        LadderLine(30, 2, D(3000)),
        LadderLine(60, 1, D(5000)),
    )
    assert payment.overdue == D(8700)
    assert isinstance(today, date)
