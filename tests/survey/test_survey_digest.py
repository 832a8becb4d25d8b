"""The monthly digest per reason owner: which month, when it runs, what it says."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.survey.digest import (
    DigestFacts,
    digest_sections,
    month_of,
    next_run,
    owners,
    previous_month,
)
from bot.survey.policy import MonthlySchedule, ReasonSpec
from slack_edge.case_messages import esc, money
from storage.survey import CauseTotal, Loss

NY = ZoneInfo("America/New_York")


def test_previous_month_is_a_local_calendar_month() -> None:
    # 03:00 UTC on Dec 1st is still November 30th in New York
    month = previous_month(datetime(2026, 12, 1, 3, 0, tzinfo=UTC), NY)
    assert month.label == "October 2026" and month.key == "2026-10"
    assert month.start == datetime(2026, 10, 1, 4, 0, tzinfo=UTC)  # EDT
    assert month.end == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    january = previous_month(datetime(2027, 2, 10, tzinfo=UTC), NY)
    assert (january.start, january.end) == (
        datetime(2027, 1, 1, 5, 0, tzinfo=UTC),
        datetime(2027, 2, 1, 5, 0, tzinfo=UTC),
    )
    assert month_of(date(2026, 12, 31), NY).end == datetime(2027, 1, 1, 5, tzinfo=UTC)


def test_next_run_is_strictly_after() -> None:
    schedule = MonthlySchedule(1, time(9, 0))
    due = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 09:00 EST
    assert next_run(schedule, datetime(2026, 11, 29, tzinfo=UTC), NY) == due
    assert next_run(schedule, due, NY) == datetime(2027, 1, 1, 14, 0, tzinfo=UTC)
    assert next_run(MonthlySchedule(28, time(9)), datetime(2026, 12, 31, tzinfo=UTC), NY) == (
        datetime(2027, 1, 28, 14, 0, tzinfo=UTC)
    )


REASONS = (
    ReasonSpec("missing_functionality", "Missing functionality", "C0PRODUCT"),
    ReasonSpec("product_quality", "Product quality", "C0PRODUCT"),
    ReasonSpec("price_value", "Price too high", "@pricing"),
)


def test_owners_group_their_reasons_in_policy_order() -> None:
    assert owners(REASONS) == {"C0PRODUCT": REASONS[:2], "@pricing": REASONS[2:]}


def _loss(name: str, arr: int, cause: str, competitor: str | None = None) -> Loss:
    return Loss(
        answer_id=1,
        case_id=1,
        account_name=name,
        account_external_id=name.lower(),
        currency="USD",
        arr_lost=Decimal(arr),
        root_cause=cause,
        stated_reason=None,
        competitor=competitor,
        competitor_key=competitor,
        controllable=True,
        churned_at=datetime(2026, 11, 3, tzinfo=UTC),
        permalink=f"https://slack.test/{name}",
    )


def test_digest_has_counts_arr_accounts_and_competitors() -> None:
    month = previous_month(datetime(2026, 12, 1, 15, tzinfo=UTC), NY)
    facts = DigestFacts(
        month=month,
        reasons=REASONS[:2],
        totals=[
            CauseTotal("missing_functionality", "USD", 2, Decimal(1500)),
            CauseTotal("missing_functionality", "EUR", 1, Decimal(200)),
        ],
        losses=[
            _loss("Acme", 1000, "missing_functionality", "Rivalsoft"),
            _loss("Beta", 500, "missing_functionality"),
        ],
        competitors=[("Rivalsoft", 1)],
    )
    assert digest_sections(facts, money, esc) == [
        ":bar_chart: *Losses in November 2026* for Missing functionality, Product quality\n"
        "*3* lost, ARR €200 + $1,500",
        "*Missing functionality*: 3 lost, ARR €200 + $1,500\n"
        "• <https://slack.test/Acme|Acme>: $1,000, to Rivalsoft\n"
        "• <https://slack.test/Beta|Beta>: $500",
        "*Competitors named:* Rivalsoft (1)",
    ]


def test_a_quiet_month_says_so() -> None:
    month = previous_month(datetime(2026, 12, 1, 15, tzinfo=UTC), NY)
    facts = DigestFacts(month=month, reasons=REASONS[2:], totals=[], losses=[], competitors=[])
    assert digest_sections(facts, money, esc) == [
        ":bar_chart: *Losses in November 2026* for Price too high\n"
        "No losses with these root causes last month."
    ]
