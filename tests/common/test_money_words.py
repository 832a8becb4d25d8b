"""The same amount reads the same on every surface (bot/common/formatting.py, one currency table):
a case's root, a dunning step and the report once said "1,000 CAD", "1,000.00 CAD" and
"CA$1,000" for one amount."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.cases.models import AccountView, CaseView
from bot.common.formatting import money, whole_money
from bot.finance.words import StepView, step_dm
from bot.reports.models import Figures, Report
from bot.reports.narrative import narrative
from slack_edge.case_messages import case_root
from storage.models import Account, Invoice

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
AMOUNT = Decimal(1000)


def _case(currency: str) -> str:
    case = CaseView(
        id=7, account_id=1, track="churn", kind="cancellation", status="new", risk="high",
        owner="U1", csm=None, arr_at_risk=AMOUNT, arr_saved=None, offer_cost=None,
        renewal_date=date(2027, 1, 31), created_at=NOW, snoozed_until=None, closed_at=None,
        stated_reason=None, details={}, source="manual", source_link=None,
    )  # fmt: skip
    _, blocks = case_root(case, AccountView(1, "Acme", "acme", currency, False), None)
    return json.dumps(blocks, ensure_ascii=False)


def _dunning(currency: str) -> str:
    account = Account(name="Acme", external_id="acme", currency=currency)
    invoice = Invoice(invoice_id="INV-1", amount_remaining=AMOUNT, currency=currency)
    return step_dm(StepView(invoice, account, 31, "csm", 31, [], None))


def _report(currency: str) -> str:
    figures = Figures(saved=1, arr_saved=AMOUNT)
    report = Report("week", NOW - timedelta(days=7), NOW, NOW, figures, currency=currency)
    return " ".join(narrative(report))


@pytest.mark.parametrize(
    ("currency", "said"),
    [("CAD", "CA$1,000"), ("EUR", "€1,000"), ("USD", "$1,000"), ("JPY", "¥1,000")],
)
def test_one_amount_reads_the_same_on_a_case_in_dunning_and_in_the_report(
    currency: str, said: str
) -> None:
    assert money(AMOUNT, currency) == whole_money(AMOUNT, currency) == said
    assert f"*ARR at risk*\\n{said}" in _case(currency)
    assert f"{said} remaining" in _dunning(currency)
    assert f"worth {said}" in _report(currency)


def test_cents_follow_the_currency() -> None:
    assert money(Decimal("1234.5"), "USD") == "$1,234.50"
    assert money(Decimal("1234.5"), "JPY") == "¥1,235"  # no minor unit (Stripe's list)
    assert money(Decimal("900"), "CHF") == "900 CHF"  # no sign in the table: the code
    assert money(None, "USD") == "unknown"
