"""Accounts import: upsert accounts from a CSV export, keeping good rows and naming bad ones.

Idempotent: importing the same file twice changes nothing the second time. Empty cells
leave the stored value as it is (a partial export never wipes data).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.amounts import parse_amount
from bot.clock import Clock
from bot.people import Directory, PersonNotFound
from bot.ports import SlackError
from storage import accounts as store
from storage.db import Database

COLUMNS = (
    "external_id",
    "name",
    "arr",
    "segment",
    "renewal_date",
    "csm",
    "account_owner",
    "stripe_customer_id",
)
REQUIRED = ("external_id", "name")
BATCH = 500
PROGRESS_EVERY = 1000


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (missing, unreadable, wrong header)."""


class RowError(ValueError):
    """One row is wrong; the message names the column and the problem."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def summary(self, what: str) -> str:
        return (
            f"{what}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.skipped} skipped"
        )


def read_rows(
    path: Path, columns: tuple[str, ...], required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) after checking the header; shared by every CSV import."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as err:
        raise ImportFileError(f"{path}: cannot read ({err.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise ImportFileError(
                f"{path}: line 1: the header must name {', '.join(columns)} "
                f"(missing: {', '.join(missing)})"
            )
        reader.fieldnames = header
        line = 1
        for row in reader:
            yield line + 1, {k: (v or "").strip() for k, v in row.items() if k in columns}
            line = reader.line_num


def unknown_columns(path: Path, columns: tuple[str, ...]) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    return [h.strip() for h in header if h.strip() and h.strip() not in columns]


def amount_cell(text: str, column: str) -> Decimal:
    try:
        return parse_amount(text)
    except ValueError as err:
        raise RowError(f"{column}: {err}") from None


def parse_date(text: str, column: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RowError(f"{column}: {text!r} is not a date (use YYYY-MM-DD)") from None


class AccountImporter:
    """Validates rows, resolves people through Slack, and upserts in batches."""

    def __init__(self, db: Database, directory: Directory, clock: Clock) -> None:
        self.db = db
        self.directory = directory
        self.clock = clock

    def run(self, path: Path, progress: Callable[[int], None] | None = None) -> ImportReport:
        report = ImportReport()
        rows = read_rows(path, COLUMNS, REQUIRED)
        extra = unknown_columns(path, COLUMNS)
        if extra:
            report.notes.append(f"ignoring unknown column(s): {', '.join(extra)}")
        seen: dict[str, int] = {}
        batch: list[tuple[int, str, dict[str, Any]]] = []
        for n, (line, row) in enumerate(rows, start=1):
            self._take(line, row, seen, batch, report)
            if len(batch) >= BATCH:
                self._save(batch, report)
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(n)
        self._save(batch, report)
        report.problems.sort(key=lambda p: int(p.split(":")[0].removeprefix("line ")))
        return report

    def _take(
        self,
        line: int,
        row: dict[str, str],
        seen: dict[str, int],
        batch: list[tuple[int, str, dict[str, Any]]],
        report: ImportReport,
    ) -> None:
        try:
            external_id, values = self._validate(row)
        except RowError as err:
            report.problems.append(f"line {line}: {err}")
            return
        if external_id in seen:
            report.problems.append(
                f"line {line}: external_id {external_id!r} repeats line {seen[external_id]}"
            )
            return
        seen[external_id] = line
        batch.append((line, external_id, values))

    def _validate(self, row: dict[str, str]) -> tuple[str, dict[str, Any]]:
        for column in REQUIRED:
            if not row.get(column):
                raise RowError(f"{column} is empty")
        external_id = row["external_id"]
        if len(external_id) > 200 or len(row["name"]) > 300:
            raise RowError("external_id or name is too long")
        values: dict[str, Any] = {"name": row["name"]}
        if row.get("arr"):
            values["arr"] = amount_cell(row["arr"], "arr")
        if row.get("renewal_date"):
            values["renewal_date"] = parse_date(row["renewal_date"], "renewal_date")
        for column in ("segment", "stripe_customer_id"):
            if len(row.get(column) or "") > 100:
                raise RowError(f"{column} is too long (100 characters at most)")
            if row.get(column):
                values[column] = row[column]
        for column in ("csm", "account_owner"):
            if row.get(column):
                values[column] = self._person(row[column], column)
        return external_id, values

    def _person(self, ref: str, column: str) -> str:
        try:
            return self.directory.resolve_one(ref)
        except PersonNotFound as err:
            raise RowError(f"{column}: {err}") from None
        except (SlackError, OSError) as err:
            raise RowError(f"{column}: could not look up {ref!r} in Slack ({err})") from None

    def _save(self, batch: list[tuple[int, str, dict[str, Any]]], report: ImportReport) -> None:
        """Upsert a batch in one transaction; a row that conflicts is reported alone."""
        with self.db.session() as session:
            for line, external_id, values in batch:
                try:
                    self._check_stripe(session, external_id, values)
                except RowError as err:
                    report.problems.append(f"line {line}: {err}")
                    continue
                outcome = store.upsert(session, external_id, values, self.clock.now())
                setattr(report, outcome, getattr(report, outcome) + 1)
        batch.clear()

    @staticmethod
    def _check_stripe(session: Any, external_id: str, values: dict[str, Any]) -> None:
        customer = values.get("stripe_customer_id")
        if not customer:
            return
        holder = store.by_stripe_customer(session, customer)
        if holder is not None and holder.external_id != external_id:
            raise RowError(
                f"stripe_customer_id: {customer} already belongs to account {holder.external_id}"
            )
