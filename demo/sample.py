"""The sample book of accounts and invoices, with dates moved to today.

`demo/data/*.csv` follow the import formats (docs/cli.md, *Accounts CSV*; docs/dunning.md,
*Invoices CSV*) and are dated as seen on ANCHOR; the demo shifts every date by
(today - ANCHOR) so renewals stay ahead and the overdue invoices stay a few days short of
their next dunning step.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

DATA = Path(__file__).parent / "data"
ANCHOR = date(2026, 12, 1)
DATE_COLUMNS = ("renewal_date", "due_date")


def shifted_csv(source: Path, today: date) -> str:
    """The CSV text of ``source`` with every date column moved by ``today - ANCHOR``."""
    shift = today - ANCHOR
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [_shift_row(row, shift) for row in reader]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _shift_row(row: dict[str, str], shift: timedelta) -> dict[str, str]:
    for column in DATE_COLUMNS:
        if row.get(column):
            row[column] = (date.fromisoformat(row[column]) + shift).isoformat()
    return row


def write_sample(folder: Path, today: date) -> dict[str, Path]:
    """Write today's copies of the sample files into ``folder``; returns them by kind."""
    written = {}
    for kind in ("accounts", "invoices"):
        path = folder / f"{kind}.csv"
        path.write_text(shifted_csv(DATA / f"{kind}.csv", today), encoding="utf-8")
        written[kind] = path
    return written


def load_sample(folder: Path, today: date, run_import: Callable[[str, Path], int]) -> list[str]:
    """Import the sample book with the product's own `import` command; returns notes.

    Invoices are imported only where the product imports them (``run_import`` answers
    non-zero otherwise), so the demo never fakes a feature that is not there.
    """
    files = write_sample(folder, today)
    notes = []
    if run_import("accounts", files["accounts"]) != 0:
        raise RuntimeError("the sample accounts could not be imported")
    notes.append("20 sample accounts")
    if run_import("invoices", files["invoices"]) == 0:
        notes.append("12 sample invoices")
    return notes
