"""The CSV export (`python app.py report … --csv FILE`): the case-level rows behind every
figure, one per case and figure, so finance can add them up and reconcile the totals.
Columns: storage/report_rows.py COLUMNS; money in major units, times ISO 8601 UTC."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.policy import Policy
from bot.reports.model import Report
from storage import report_rows
from storage.db import Database
from storage.reports import Window


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a spreadsheet would run it as a formula
    return "" if value is None else value


def write_csv(db: Database, policy: Policy, report: Report, path: Path) -> int:
    """Write the rows behind `report` (same window, read now) to `path`; returns how many.

    Raises OSError when the file cannot be written.
    """
    window = Window(start=report.start, end=report.end)
    today = report.end.astimezone(policy.timezone).date()
    count = 0
    with db.read() as session, path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=report_rows.COLUMNS, extrasaction="ignore")
        writer.writeheader()
        lasted = [
            report_rows.lasted_rows(session, window, days)
            for days in policy.reports.checkpoint_days
        ]
        for rows in (
            report_rows.closed_rows(session, window),
            *lasted,
            report_rows.open_rows(session),
            report_rows.payment_rows(session, today),
        ):
            for row in rows:
                writer.writerow({k: _cell(row.get(k)) for k in report_rows.COLUMNS})
                count += 1
    return count
