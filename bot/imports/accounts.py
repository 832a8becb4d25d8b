"""Accounts import: upsert accounts from a CSV export, keeping good rows and naming bad ones.

Idempotent: importing the same file twice changes nothing the second time. Empty cells
leave the stored value as it is (a partial export never wipes data).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.common.amounts import parse_amount
from bot.common.clock import Clock
from bot.imports.csvfile import ImportReport, RowError, import_file, read_table
from bot.people.directory import Directory, PersonNotFound
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

    def __init__(
        self, db: Database, directory: Directory, clock: Clock, currency: str = "USD"
    ) -> None:
        """`currency` (ISO 4217, the policy's `currency`) is given to new accounts."""
        self.db = db
        self.directory = directory
        self.clock = clock
        self.currency = currency

    def run(self, path: Path, progress: Callable[[int], None] | None = None) -> ImportReport:
        """Import `path`; raises ImportFileError (file, line, what to do) before any row."""
        table = read_table(path, COLUMNS, REQUIRED)
        report = import_file(table, "external_id", self._parse, self._save, progress)
        report.problems.sort(key=lambda p: int(p.split(":")[0].removeprefix("line ")))
        return report

    def _parse(self, line: int, row: dict[str, str]) -> tuple[int, str, dict[str, Any]]:
        external_id, values = self._validate(row)
        return line, external_id, values

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
        """Upsert a batch in one transaction; a row that conflicts is reported alone. What
        Slack says of the batch's people (deactivated, another organisation…) is learned
        first, outside it, so routing a case for these accounts never waits on Slack."""
        people = {v[c] for _, _, v in batch for c in ("csm", "account_owner") if v.get(c)}
        self.directory.people(sorted(people), fresh_for=None)
        with self.db.session() as session:
            for line, external_id, values in batch:
                try:
                    self._check_stripe(session, external_id, values)
                except RowError as err:
                    report.problems.append(f"line {line}: {err}")
                    continue
                now = self.clock.now()
                outcome = store.upsert(session, external_id, values, now, self.currency)
                setattr(report, outcome, getattr(report, outcome) + 1)

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
