"""Finance queries: invoices and the dunning ladder, Stripe subscriptions, Stripe event ids,
and the pre-renewal checks. Nothing here commits: the caller's unit of work does, so an
event id is remembered in the same transaction as the effect it had.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, exists, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage import steps
from storage.models import (
    OPEN_INVOICE_SQL,
    Account,
    InboundEvent,
    Invoice,
    RenewalCheck,
    ScheduledStep,
    StripeSubscription,
)
from storage.vocab import StepKind, StepState

STRIPE = "stripe"
DUNNING_KEY = "dunning:{invoice}:{days}"
"""Scheduled-step key of one ladder step of one invoice (invoice primary key, step days)."""


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def remember_event(
    session: Session, source: str, external_id: str, now: datetime, case_id: int | None = None
) -> bool:
    """Record an inbound event id; False when it was recorded before (a retry).

    INSERT … ON CONFLICT DO NOTHING: on PostgreSQL a concurrent delivery of the same id
    waits for the first transaction and then sees the conflict, so only one has an effect.
    """
    dialect = postgresql if _is_postgres(session) else sqlite
    stmt = (
        dialect.insert(InboundEvent)
        .values(source=source, external_id=external_id, case_id=case_id, received_at=now)
        .on_conflict_do_nothing(index_elements=[InboundEvent.source, InboundEvent.external_id])
        .returning(InboundEvent.id)
    )
    return session.execute(stmt).scalar() is not None


def link_event_case(session: Session, source: str, external_id: str, case_id: int) -> None:
    """Note which case an accepted event opened or touched."""
    session.execute(
        update(InboundEvent)
        .where(InboundEvent.source == source, InboundEvent.external_id == external_id)
        .values(case_id=case_id)
    )


def invoice(session: Session, invoice_id: str, *, lock: bool = False) -> Invoice | None:
    """The invoice with this external id (Stripe `in_…` or the CSV's `invoice_id`)."""
    stmt = select(Invoice).where(Invoice.invoice_id == invoice_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def invoices_by_ids(session: Session, invoice_ids: list[str]) -> dict[str, Invoice]:
    """Invoices keyed by external id, for batched imports."""
    if not invoice_ids:
        return {}
    rows = session.scalars(select(Invoice).where(Invoice.invoice_id.in_(invoice_ids)))
    return {row.invoice_id: row for row in rows}


def ladder_due_query(today: date, limit: int) -> Select[tuple[Invoice]]:
    """Open invoices whose next ladder step is due on or before `today` (policy calendar
    day), oldest first. The literal `status = 'open'` matches `ix_invoices_ladder`."""
    return (
        select(Invoice)
        .where(text(OPEN_INVOICE_SQL), Invoice.next_step_on <= today)
        .order_by(Invoice.next_step_on, Invoice.id)
        .limit(limit)
    )


def ladder_due(session: Session, today: date, limit: int) -> list[Invoice]:
    """Lock and return up to `limit` invoices due a ladder step. PostgreSQL skips rows
    another worker holds (FOR UPDATE SKIP LOCKED); SQLite's write lock serializes."""
    stmt = ladder_due_query(today, limit)
    if _is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def explain_ladder(session: Session, today: date, limit: int) -> str:
    """The database's plan for the ladder query (for the benchmark): which index it uses."""
    stmt = ladder_due_query(today, limit)
    compiled = stmt.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    prefix = "EXPLAIN" if _is_postgres(session) else "EXPLAIN QUERY PLAN"
    rows = session.execute(text(f"{prefix} {compiled}"))
    return "\n".join(" ".join(str(col) for col in row) for row in rows)


def schedule_steps(session: Session, rows: list[dict[str, Any]], now: datetime) -> int:
    """Add many scheduled steps in one statement (the ladder pass); rows carry key, kind,
    due_at and payload. Same rule as `storage.steps.schedule`: an existing key is left
    alone unless it was cancelled. Returns how many were added or revived."""
    if not rows:
        return 0
    values = [{**row, "state": StepState.PENDING, "created_at": now, "attempts": 0} for row in rows]
    return steps.add_or_revive(session, values)


def cancel_dunning_steps(session: Session, invoice_pk: int, now: datetime) -> int:
    """Cancel an invoice's pending ladder steps (it was paid, voided or written off)."""
    prefix = DUNNING_KEY.format(invoice=invoice_pk, days="")
    stmt = (
        update(ScheduledStep)
        .where(
            ScheduledStep.key.startswith(prefix, autoescape=True),
            ScheduledStep.state == StepState.PENDING,
        )
        .values(state=StepState.CANCELLED, done_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def dunning_people_due(session: Session, now: datetime, *, limit: int = 1000) -> set[str]:
    """The CSMs and account owners of the accounts whose invoices have a ladder step due by
    `now` (UTC) and not yet run: the people a tick may ping, for their standing to be asked
    of Slack before the steps' units of work begin (bot/finance/dunning.py). At most
    `limit` steps are looked at, the oldest first (the rest are asked on the next tick)."""
    payloads = session.scalars(
        select(ScheduledStep.payload)
        .where(steps.claimable(now), ScheduledStep.kind == StepKind.DUNNING)
        .order_by(ScheduledStep.due_at, ScheduledStep.id)
        .limit(limit)
    )
    ids = (str(p.get("invoice")) if isinstance(p, dict) else "" for p in payloads)
    invoice_ids = {int(i) for i in ids if i.isdigit()}
    if not invoice_ids:
        return set()
    rows = session.execute(
        select(Account.csm, Account.account_owner)
        .join(Invoice, Invoice.account_id == Account.id)
        .where(Invoice.id.in_(sorted(invoice_ids)))
    )
    return {user for row in rows for user in row if user}


def overdue(session: Session, today: date, *, limit: int = 50) -> list[tuple[Invoice, Account]]:
    """Open invoices past due on `today`, most overdue first."""
    stmt = (
        select(Invoice, Account)
        .join(Account, Account.id == Invoice.account_id)
        .where(text(OPEN_INVOICE_SQL), Invoice.due_date < today)
        .order_by(Invoice.due_date, Invoice.id)
        .limit(limit)
    )
    return [(inv, acc) for inv, acc in session.execute(stmt)]


def open_invoices(session: Session, *, limit: int = 50) -> list[tuple[Invoice, Account]]:
    """Every open invoice, earliest due first (no due date last)."""
    stmt = (
        select(Invoice, Account)
        .join(Account, Account.id == Invoice.account_id)
        .where(text(OPEN_INVOICE_SQL))
        .order_by(Invoice.due_date.is_(None), Invoice.due_date, Invoice.id)
        .limit(limit)
    )
    return [(inv, acc) for inv, acc in session.execute(stmt)]


def at_last_step(session: Session, account_id: int, last_days: int) -> list[Invoice]:
    """An account's open invoices that have reached the ladder's last step."""
    stmt = select(Invoice).where(
        text(OPEN_INVOICE_SQL),
        Invoice.account_id == account_id,
        Invoice.dunning_days >= last_days,
    )
    return list(session.scalars(stmt.order_by(Invoice.due_date, Invoice.id)))


def subscription(
    session: Session, subscription_id: str, *, lock: bool = False
) -> StripeSubscription | None:
    stmt = select(StripeSubscription).where(StripeSubscription.subscription_id == subscription_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def renewals_to_ask(
    session: Session, today: date, horizon: date, *, limit: int = 500
) -> list[Account]:
    """Accounts renewing between `today` and `horizon` (inclusive) not yet asked about that
    renewal date: the pre-renewal check's candidates, soonest renewal first."""
    asked = exists().where(
        and_(
            RenewalCheck.account_id == Account.id,
            RenewalCheck.renewal_date == Account.renewal_date,
        )
    )
    stmt = (
        select(Account)
        .where(Account.renewal_date >= today, Account.renewal_date <= horizon, ~asked)
        .order_by(Account.renewal_date, Account.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def add_renewal_check(session: Session, **values: Any) -> RenewalCheck | None:
    """Insert the check for (account, renewal date) unless it exists; None if it did."""
    dialect = postgresql if _is_postgres(session) else sqlite
    stmt = (
        dialect.insert(RenewalCheck)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[RenewalCheck.account_id, RenewalCheck.renewal_date])
        .returning(RenewalCheck.id)
    )
    new_id = session.execute(stmt).scalar()
    return session.get(RenewalCheck, new_id) if new_id is not None else None


def renewal_check(session: Session, check_id: int, *, lock: bool = False) -> RenewalCheck | None:
    stmt = select(RenewalCheck).where(RenewalCheck.id == check_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)
