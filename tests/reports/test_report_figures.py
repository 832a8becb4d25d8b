"""The report's figures against hand-computed values over a mixed book of cases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.reports.figures import compute
from bot.reports.models import from_json, to_json
from bot.runtime.services import Services
from tests.report_data import Book

D = Decimal
DAY = timedelta(days=1)


@pytest.fixture
def book(services: Services) -> Book:
    b = Book(services, services.clock.now())
    # main-contact turnover: 2 saved this week, 1 saved 8 days ago (not in the week)
    b.case("contact_left", "saved", 20000, closed_ago=2 * DAY)
    b.case("contact_left", "saved", 23000, closed_ago=6 * DAY)
    b.case("contact_left", "saved", 99000, closed_ago=8 * DAY)
    b.case("contact_left", "working", 100000, age=20 * DAY, risk="high")
    b.case("contact_left", "new", 50000, age=40 * DAY)
    # usage drop: 1 churned, 1 moved on this week; 1 open
    b.case("usage_drop", "churned", 30000, closed_ago=1 * DAY)
    b.case("usage_drop", "moved_on", 5000, closed_ago=3 * DAY)
    b.case("usage_drop", "acknowledged", 70000, age=30 * DAY)
    # budget cut: churned 40 days ago (only in the quarter), 1 saved this week at less
    b.case("budget_cut", "churned", 11000, closed_ago=40 * DAY)
    b.case("budget_cut", "saved", 8000, closed_ago=5 * DAY, saved=6000)
    # the payment track is never in the churn figures
    b.case("payment_failed", "new", 12000, age=3 * DAY)
    b.case("payment_failed", "saved", 9000, closed_ago=DAY)
    return b


def test_week_figures_per_kind_and_overall(services: Services, book: Book) -> None:
    with services.db.read() as session:
        report = compute(session, services.policy, "week", book.now)
    turnover = report.kind("contact_left")
    assert (turnover.saved, turnover.arr_saved) == (2, D(43000)), "saved 8 days ago not counted"
    assert (turnover.open, turnover.arr_at_risk) == (2, D(150000))
    assert (turnover.arr_high_risk, turnover.arr_saveable) == (D(100000), D(50000))
    assert turnover.average_time_at_risk == 30 * DAY  # (20 + 40) / 2
    usage = report.kind("usage_drop")
    assert (usage.churned, usage.arr_churned, usage.moved_on, usage.arr_moved_on) == (
        1,
        D(30000),
        1,
        D(5000),
    )
    assert usage.save_rate == 0.0
    budget = report.kind("budget_cut")
    assert (budget.saved, budget.arr_saved, budget.churned) == (1, D(6000), 0)
    overall = report.overall
    assert (overall.saved, overall.churned, overall.moved_on) == (3, 1, 1)
    assert overall.save_rate == pytest.approx(3 / 5)
    assert (overall.open, overall.arr_at_risk, overall.arr_high_risk) == (3, D(220000), D(100000))
    assert overall.average_time_at_risk == 30 * DAY  # (20 + 40 + 30) / 3
    assert (report.payment.open, report.payment.arr_at_risk) == (1, D(12000))
    assert report.lead_kind == "contact_left"


def test_quarter_counts_older_closures(services: Services, book: Book) -> None:
    with services.db.read() as session:
        report = compute(session, services.policy, "quarter", book.now)
    assert (report.overall.saved, report.overall.churned) == (4, 2)
    assert report.overall.arr_churned == D(41000)
    assert report.overall.save_rate == pytest.approx(4 / 7)


def test_stored_figures_read_back_the_same(services: Services, book: Book) -> None:
    with services.db.read() as session:
        report = compute(session, services.policy, "month", book.now)
    assert from_json(to_json(report)) == report


def test_unknown_period_is_refused(services: Services) -> None:
    with services.db.read() as session, pytest.raises(ValueError, match="week, month, quarter"):
        compute(session, services.policy, "year", services.clock.now())
