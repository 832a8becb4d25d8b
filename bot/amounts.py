"""Money typed by people (CSV cells, modal fields): one parser, one set of limits."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_AMOUNT = Decimal("999999999999")  # what the database's Numeric(14, 2) columns hold


def parse_amount(text: str) -> Decimal:
    """A non-negative amount; "1,500", "$1500" and "1500.50" all read. ValueError says why."""
    cleaned = str(text).replace(",", "").replace("$", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{str(text)[:40]!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{str(text)[:40]!r} must be zero or more")
    if value > MAX_AMOUNT:
        raise ValueError(f"{str(text)[:40]!r} is too large")
    return value
