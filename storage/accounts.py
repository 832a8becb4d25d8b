"""Account queries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Account
from storage.search import like_prefix, search_key


def by_external_id(session: Session, external_id: str) -> Account | None:
    return session.scalar(select(Account).where(Account.external_id == external_id))


def by_stripe_customer(session: Session, customer_id: str) -> Account | None:
    return session.scalar(select(Account).where(Account.stripe_customer_id == customer_id))


def by_name_prefix(session: Session, prefix: str, limit: int = 10) -> list[Account]:
    """Accounts whose name starts with `prefix`, shortest name first.

    Compared on the folded search key (storage.search): any case, accents optional,
    the same on SQLite and PostgreSQL.
    """
    key = search_key(prefix)
    if not key:
        return []
    stmt = (
        select(Account)
        .where(Account.search_name.like(like_prefix(key), escape="\\"))
        .order_by(func.length(Account.name), Account.name)
        .limit(limit)
    )
    return list(session.scalars(stmt))


class Upsert(StrEnum):
    """What `upsert` did to one account (the import report's counter of the same name)."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def upsert(
    session: Session,
    external_id: str,
    values: dict[str, Any],
    now: datetime,
    currency: str = "USD",
) -> Upsert:
    """Create or update one account, and say which.
    `currency` (ISO 4217) is a new account's; an existing account keeps its own."""
    account = by_external_id(session, external_id)
    if account is None:
        session.add(
            Account(
                external_id=external_id,
                currency=currency,
                is_stub=False,
                created_at=now,
                updated_at=now,
                **values,
            )
        )
        return Upsert.CREATED
    changed = {k: v for k, v in values.items() if getattr(account, k) != v}
    if account.is_stub:
        changed["is_stub"] = False
    if not changed:
        return Upsert.UNCHANGED
    for key, value in changed.items():
        setattr(account, key, value)
    account.updated_at = now
    return Upsert.UPDATED


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Account)) or 0


def stub(
    session: Session,
    external_id: str,
    now: datetime,
    name: str | None = None,
    currency: str = "USD",
) -> Account:
    """The account for an id we have never seen: created as a stub (in `currency`, ISO
    4217), never dropped."""
    account = by_external_id(session, external_id)
    if account is not None:
        return account
    account = Account(
        external_id=external_id,
        name=name or external_id,
        currency=currency,
        is_stub=True,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    session.flush()
    return account


def by_exact_name(session: Session, name: str) -> list[Account]:
    """Accounts whose name folds to the same search key as `name` (any case, any accents)."""
    key = search_key(name)
    if not key:
        return []
    return list(session.scalars(select(Account).where(Account.search_name == key)))


def all_keys(session: Session) -> list[tuple[int, str, str]]:
    """(id, external_id, search key of the name) of every account, for spotting accounts
    named in text (compare with storage.search.search_key of the text)."""
    stmt = select(Account.id, Account.external_id, Account.search_name)
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]
