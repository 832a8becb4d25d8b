"""Money typed by people (CSV cells, modal fields): one reader, the same checks and words;
each caller brings the limit its database column holds.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pycountry

MAX_AMOUNT = Decimal("999999999999")  # what the database's Numeric(14, 2) columns hold


def parse_amount(text: str) -> Decimal:
    """A non-negative amount; "1,500", "$1500" and "1500.50" all read. ValueError says why."""
    return read_amount(str(text), str(text).replace(",", "").replace("$", "").strip(), MAX_AMOUNT)


def read_amount(typed: str, cleaned: str, maximum: Decimal) -> Decimal:
    """`cleaned` (what was `typed`, rid of separators) as an amount from zero to `maximum`;
    the ValueError quotes what was typed, since that is what the person can find and fix."""
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{typed[:40]!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{typed[:40]!r} must be zero or more")
    if value > maximum:
        raise ValueError(f"{typed[:40]!r} is too large")
    return value


def currency_code(text: str) -> str:
    """`text` as an ISO 4217 currency code in capitals ("eur" reads as EUR), checked against
    the standard's list (pycountry's copy of it), so a typo such as "UDS" or "EOR" is caught
    where it is typed rather than shown on every amount. ValueError says why."""
    code = text.strip().upper()
    if len(code) != 3 or not code.isascii() or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{text[:20]!r} is not an ISO 4217 currency code like USD or EUR")
    return code
