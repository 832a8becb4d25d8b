"""The CSV export (`python app.py report … --csv FILE`): the case-level rows behind every
figure, one per case and figure, so finance can add them up and reconcile the totals.
Columns: storage/report_rows.py COLUMNS; money in major units, times ISO 8601 UTC."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.policy import Policy
from bot.reports.models import Report
from storage import report_rows, report_stages
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
            report_stages.clock_rows(session, window) if report.stages is not None else (),
            stage_summary_rows(report),
        ):
            for row in rows:
                writer.writerow({k: _cell(row.get(k)) for k in report_rows.COLUMNS})
                count += 1
    return count


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def stage_summary_rows(report: Report) -> Iterator[dict[str, Any]]:
    """The stage-time figures themselves (docs/reports.md, *Stage times*): `stage_times` rows (one
    per stage and group: `group` all, kind or owner, with `cases`, `median_hours`,
    `p90_hours`), then `slowest_open` rows (the open cases named, `stage_hours` so far)."""
    for line in report.stages or ():
        yield {
            "figure": "stage_times",
            "stage": line.stage,
            "group": line.by,
            "kind": line.key if line.by == "kind" else None,
            "owner": line.key if line.by == "owner" else None,
            "cases": line.cases,
            "median_hours": _hours(line.median),
            "p90_hours": _hours(line.p90),
        }
    for case in report.slowest or ():
        yield {
            "figure": "slowest_open",
            "stage": case.stage,
            "case_id": case.case_id,
            "account": case.account,
            "account_name": case.account_name,
            "kind": case.kind,
            "owner": case.owner,
            "stage_started_at": case.since,
            "stage_hours": _hours((report.generated_at - case.since).total_seconds()),
        }
