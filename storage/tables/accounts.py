"""Customers: the accounts (imported from CSV or stubbed from a webhook, matched by
`external_id`) and their history that outlives cases; queries in storage/accounts.py."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from storage.base import Base
from storage.search import SEARCH_KEY_LENGTH, search_key


class Account(Base):
    """A customer. `external_id` is the key the team uses everywhere (CSV, webhooks, /churn)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    arr: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    segment: Mapped[str | None] = mapped_column(String(100))
    renewal_date: Mapped[date | None] = mapped_column(Date)
    csm: Mapped[str | None] = mapped_column(String(32))
    account_owner: Mapped[str | None] = mapped_column(String(32))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    hubspot_company_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    is_stub: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # `name` folded by storage.search.search_key, kept in step by `_fold_name`
    search_name: Mapped[str] = mapped_column(String(SEARCH_KEY_LENGTH), default="")

    __table_args__ = (
        Index(
            "ix_accounts_search_name",
            "search_name",
            postgresql_ops={"search_name": "varchar_pattern_ops"},  # LIKE 'key%' uses it
        ),
    )

    @validates("name")
    def _fold_name(self, _key: str, name: str) -> str:
        """Every write of `name` (constructor, import, stub) refreshes its search key."""
        self.search_name = search_key(name)
        return name


class AccountEvent(Base):
    """Account-level history that outlives cases (e.g. a manager removed the CSM)."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)


Index("ix_accounts_renewal_date", Account.renewal_date)
Index("ix_accounts_currency", Account.currency)  # the report's currency: an index-only count
