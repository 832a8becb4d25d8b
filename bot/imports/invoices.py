"""Invoices import (docs/dunning.md, *Invoices CSV*): the columns
`invoice_id,account,amount,currency,due_date,status`.

Idempotent upsert by `invoice_id`: importing the same file twice reports every row
unchanged the second time. `account` is the account's external id; an unknown one becomes
a stub account (import the accounts file later to fill it). Amounts are in major units
with at most the currency's decimals (0 for JPY, 3 for KWD). `status` is open, paid, void
(or uncollectible); a paid or void invoice leaves the dunning ladder. Optional columns:
`amount_remaining` (after a partial payment; defaults to `amount`, or 0 once paid or void)
and `hosted_invoice_url` (the link in ladder messages). Bad rows are reported as
`line N: <problem>` and skipped; the good rows are kept. The operator's file is the
truth: a row replaces what a Stripe event said about the same invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from bot.common.amounts import currency_code
from bot.common.clock import Clock
from bot.common.vocab import InvoiceStatus
from bot.finance.invoices import InvoiceFields, record
from bot.finance.money import parse_major
from bot.imports.accounts import parse_date
from bot.imports.csvfile import ImportReport, RowError, import_file, read_table
from bot.policy import DunningStep
from storage import accounts as account_store
from storage.db import Database

REQUIRED = ("invoice_id", "account", "amount", "due_date")
COLUMNS = (*REQUIRED, "currency", "status", "amount_remaining", "hosted_invoice_url")
STATUSES = tuple(s for s in InvoiceStatus if s != InvoiceStatus.DRAFT)
CSV_SOURCE = "csv"


@dataclass(frozen=True)
class InvoiceRow:
    line: int
    account: str
    fields: InvoiceFields


class InvoiceImporter:
    """Validates rows and upserts them in batches, each batch one unit of work."""

    def __init__(self, db: Database, clock: Clock, steps: tuple[DunningStep, ...]) -> None:
        self.db = db
        self.clock = clock
        self.steps = steps

    def run(self, path: Path, progress: Callable[[int], None] | None = None) -> ImportReport:
        """Import the file; raises ImportFileError when it cannot be read or lacks a
        required column in its header."""
        table = read_table(path, COLUMNS, REQUIRED)
        return import_file(table, "invoice_id", parse_row, self._save, progress)

    def _save(self, batch: list[InvoiceRow], report: ImportReport) -> None:
        now = self.clock.now()
        with self.db.session() as session:
            stubs: set[str] = set()
            for row in batch:
                account = account_store.by_external_id(session, row.account)
                if account is None:
                    currency = row.fields.currency  # the invoice's own is the best guess
                    account = account_store.stub(session, row.account, now, currency=currency)
                    stubs.add(row.account)
                outcome = record(session, self.steps, account, row.fields, now, force=True)
                setattr(report, outcome.outcome, getattr(report, outcome.outcome) + 1)
        report.notes += [
            f"account {name!r} is unknown: created as a stub (import accounts to fill it)"
            for name in sorted(stubs)
        ]


def parse_row(line: int, row: dict[str, str]) -> InvoiceRow:
    """One CSV row as an invoice; RowError names the column and what is wrong."""
    for column in REQUIRED:
        if not row.get(column):
            raise RowError(f"{column} is empty")
    if len(row["invoice_id"]) > 255 or len(row["account"]) > 200:
        raise RowError("invoice_id or account is too long")
    try:
        currency = currency_code(row.get("currency") or "USD")
    except ValueError as why:
        raise RowError(f"currency: {why}") from None
    status = (row.get("status") or "open").lower()
    if status not in STATUSES:
        raise RowError(f"status: {status[:20]!r} is not one of {', '.join(STATUSES)}")
    amount = _amount(row["amount"], currency, "amount")
    remaining = _remaining(row.get("amount_remaining") or "", amount, currency, status)
    due: date = parse_date(row["due_date"], "due_date")
    url = row.get("hosted_invoice_url") or None
    if url is not None and not url.startswith(("https://", "http://")):
        raise RowError("hosted_invoice_url: must start with https://")
    fields = InvoiceFields(
        invoice_id=row["invoice_id"],
        amount_due=amount,
        amount_remaining=remaining,
        currency=currency,
        due_date=due,
        status=status,
        source=CSV_SOURCE,
        hosted_invoice_url=url,
    )
    return InvoiceRow(line, row["account"], fields)


def _amount(text: str, currency: str, column: str) -> Decimal:
    try:
        return parse_major(text, currency)
    except ValueError as err:
        raise RowError(f"{column}: {err}") from None


def _remaining(text: str, amount: Decimal, currency: str, status: str) -> Decimal:
    if not text:
        return Decimal(0) if status in (InvoiceStatus.PAID, InvoiceStatus.VOID) else amount
    remaining = _amount(text, currency, "amount_remaining")
    if remaining > amount:
        raise RowError(f"amount_remaining: {text!r} is more than amount {amount}")
    return remaining
