"""What finance people read: `/churn invoices [overdue]` and the App Home's overdue list.

Invoice amounts are finance's (the seeds: billing handed to CS creates friction), so only
the finance roles (`finance`, `controller`, `cfo`), managers and admins may list them
(bot.people.access); anyone else is refused with a plain answer and sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.common.formatting import calendar_day, money
from bot.common.text import esc
from bot.finance import words
from bot.finance.dunning import days_past_due, today_in
from bot.people.access import Action, Actor
from bot.policy import Policy
from storage import finance as store
from storage.db import Database
from storage.models import Account, Invoice

LIST_LIMIT = 30


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice as a list shows it."""

    invoice_id: str
    account: str
    remaining: str
    due_date: date | None
    days_past_due: int
    step: str | None
    link: str | None

    def text(self) -> str:
        parts = [f"*{esc(self.invoice_id)}*", esc(self.account), f"{self.remaining} remaining"]
        if self.days_past_due > 0:
            parts.append(words.days_text(self.days_past_due))
        else:
            parts.append(f"due {calendar_day(self.due_date)}" if self.due_date else "no due date")
        parts.append(f"ladder: {self.step}" if self.step else "ladder: no step yet")
        line = " · ".join(parts)
        return f"{line} · <{self.link}|invoice>" if self.link else line


def step_label(invoice: Invoice, policy: Policy) -> str | None:
    """The highest ladder step the invoice reached, as "60-day (controller)"."""
    reached = [s for s in policy.dunning.steps if s.days_past_due <= invoice.dunning_days]
    if not reached:
        return None
    step = reached[-1]
    return f"{step.days_past_due}-day ({step.notify})"


class FinanceViews:
    """Read-only lists; each reads in its own read-only unit of work."""

    def __init__(self, db: Database, policy: Policy) -> None:
        self.db = db
        self.policy = policy

    def invoices(self, acting: Actor, now: datetime, *, overdue_only: bool) -> list[InvoiceLine]:
        """Open invoices (or only those past due), most overdue first. Raises Refused."""
        acting.require(Action.INVOICES)
        today = today_in(self.policy, now)
        with self.db.read() as session:
            if overdue_only:
                rows = store.overdue(session, today, limit=LIST_LIMIT)
            else:
                rows = store.open_invoices(session, limit=LIST_LIMIT)
            return [self._line(inv, acc, today) for inv, acc in rows]

    def home_overdue(self, acting: Actor, now: datetime, limit: int = 10) -> list[str] | None:
        """The App Home's overdue invoices for finance people; None for anyone else."""
        if not acting.may(Action.INVOICES):
            return None
        today = today_in(self.policy, now)
        with self.db.read() as session:
            rows = store.overdue(session, today, limit=limit)
            return [self._line(inv, acc, today).text() for inv, acc in rows]

    def _line(self, invoice: Invoice, account: Account, today: date) -> InvoiceLine:
        return InvoiceLine(
            invoice_id=invoice.invoice_id,
            account=account.name,
            remaining=money(invoice.amount_remaining, invoice.currency),
            due_date=invoice.due_date,
            days_past_due=days_past_due(invoice, today),
            step=step_label(invoice, self.policy),
            link=invoice.hosted_invoice_url,
        )


def listing_text(lines: list[InvoiceLine], overdue_only: bool) -> str:
    """The ephemeral answer to `/churn invoices [overdue]`."""
    what = "Overdue invoices" if overdue_only else "Open invoices"
    if not lines:
        return f"{what}: none."
    more = f" (the first {LIST_LIMIT})" if len(lines) >= LIST_LIMIT else ""
    return "\n".join([f"*{what}*{more}:", *(f"• {line.text()}" for line in lines)])
