"""Currency decimals: Stripe sends amounts in minor units, people and CSVs use major units.

Source: Stripe docs, "Supported currencies" → zero-decimal and three-decimal currencies
(https://docs.stripe.com/currencies#zero-decimal, #three-decimal).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from bot.common.amounts import read_amount

ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])
MAX_AMOUNT = Decimal("999999999999999")  # what the invoices' Numeric(18, 3) columns hold


def decimals(currency: str) -> int:
    """How many decimals the currency's major unit has (2 unless Stripe lists it)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def from_minor(amount: int | str | None, currency: str) -> Decimal | None:
    """Stripe's minor-unit integer (cents, yen, fils) as a major-unit Decimal; None if absent
    or not a whole number."""
    if amount is None or isinstance(amount, bool):
        return None
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value.scaleb(-decimals(currency))


def parse_major(text: str, currency: str) -> Decimal:
    """An amount typed in major units ("1,500.50"): at most the currency's decimals, zero or
    more. ValueError says why not."""
    value = read_amount(text, text.replace(",", "").strip(), MAX_AMOUNT)
    places = decimals(currency)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(f"{text[:40]!r} has more than {places} decimals for {currency.upper()}")
    return value
