"""`python app.py report [week|month|quarter] [--csv FILE]` as an operator runs it: the
report on stdout, and a CSV whose rows add up to every figure it printed."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.runtime.services import Services
from tests.report_data import Book
from tests.setup.test_cli import GOOD, run_app

DAY = timedelta(days=1)


def test_report_prints_and_csv_rows_add_up(services: Services, db_url: str, tmp_path: Path) -> None:
    book = Book(services, datetime.now(UTC))  # the CLI reads the real clock
    book.case("contact_left", "saved", 20000, closed_ago=DAY)
    book.case("contact_left", "saved", 23000, closed_ago=2 * DAY)
    book.case("contact_left", "saved", 77000, closed_ago=9 * DAY)  # before the week
    book.case("usage_drop", "churned", 30000, closed_ago=DAY)
    book.case("contact_left", "working", 200000, age=30 * DAY, risk="high")
    book.case("contact_left", "new", 50000, age=30 * DAY)
    book.case("payment_failed", "new", 9000)
    out = tmp_path / "rows.csv"
    result = run_app(tmp_path, "report", "week", "--csv", str(out), **GOOD, DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    assert (
        "Last week we saved 2 customers from main-contact-turnover risk (up from 1 customer), "
        "worth $43,000 (down from $77,000)." in result.stdout
    )  # the week before saved the $77,000 one
    assert (
        "We believe we can save $50,000 (down from $93,000); $200,000 remains at high risk of "
        "churn (unchanged)." in result.stdout
    )  # as the week began, the saves of the week were open too: saveable then
    assert "a save rate of 67%" in result.stdout
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    by_figure: dict[str, list[dict]] = {}
    for row in rows:
        by_figure.setdefault(row["figure"], []).append(row)
    assert sum(Decimal(r["arr_saved"]) for r in by_figure["saved"]) == Decimal(43000)
    assert [r["kind"] for r in by_figure["churned"]] == ["usage_drop"]
    assert sum(Decimal(r["arr_at_risk"]) for r in by_figure["at_risk"]) == Decimal(250000)
    assert {r["risk"] for r in by_figure["at_risk"]} == {"high", "medium"}
    assert len(by_figure["payment_case"]) == 1
    # stage times: the 3 clocks to close, their figures (all, 2 kinds, no owner), and the
    # 2 open cases named for acknowledge, first offer and close
    assert len(by_figure["stage_close"]) == 3 and len(by_figure["stage_times"]) == 4
    assert len(by_figure["slowest_open"]) == 6
    assert "wrote 19 rows" in result.stderr


def test_bad_period_and_unwritable_csv_get_one_line(db_url: str, tmp_path: Path) -> None:
    bad = run_app(tmp_path, "report", "year", **GOOD, DATABASE_URL=db_url)
    assert bad.returncode == 2 and "invalid choice: 'year'" in bad.stderr
    assert "Traceback" not in bad.stderr
    nowhere = tmp_path / "missing" / "rows.csv"
    result = run_app(tmp_path, "report", "--csv", str(nowhere), **GOOD, DATABASE_URL=db_url)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"savedesk: cannot write {nowhere}: No such file or directory"
    ]
