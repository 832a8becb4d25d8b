"""Money and dates as every surface says them: case roots, offers, dunning, the report,
the survey, turnover and check-ins (docs/ARCHITECTURE.md, *Packages and arrows*).

One currency table, so 1,000 Canadian dollars read "CA$1,000" on a case, in a dunning
step and in the report alike. Amounts keep the currency's own decimals (Stripe's list,
`bot.finance.money.decimals`) and drop ".00" on whole amounts; the report rounds to whole
units (`whole_money`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from bot.finance.money import decimals

CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)  # fmt: skip  (English, whatever the server's locale)


def signed(number: str, currency: str, negative: bool = False) -> str:
    """An already formatted absolute number with the currency's sign ("$1,000") or, for a
    currency without one in the table, its code after it ("1,000 CHF")."""
    code = currency.upper()
    sign = CURRENCY_SIGNS.get(code)
    text = f"{sign}{number}" if sign else f"{number} {code}"
    return f"-{text}" if negative else text


def money(amount: Decimal | int | None, currency: str = "USD") -> str:
    """An amount in the currency's own decimals, ".00" dropped when whole: "$1,234.50",
    "CA$1,000", "¥1,235", "1,000 CHF"; "unknown" without one."""
    if amount is None:
        return "unknown"
    places = decimals(currency)
    value = Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if value == value.to_integral_value():
        places = 0
    return signed(f"{abs(value):,.{places}f}", currency, value < 0)


def whole_money(amount: Decimal | int, currency: str = "USD") -> str:
    """Whole currency units (the report's figures, check-ins): "$43,000"."""
    value = Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return signed(f"{abs(value):,.0f}", currency, value < 0)


def cents(amount: Decimal, currency: str = "USD") -> str:
    """A small amount to the cent: "$0.05"; "0.05 CHF"."""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return signed(f"{abs(value):,.2f}", currency, value < 0)


def calendar_day(day: date | None) -> str:
    """A date without a time (renewal, due date) as that date, the same for every reader.

    Not `<!date^…>`: Slack shows a token in each reader's zone, so a date sent as noon UTC
    reads as the next day in Auckland. `<!date^…>` is only for moments (`time_token`).
    """
    if day is None:
        return "unknown"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def time_token(when: datetime) -> str:
    """A moment each reader sees in their own time zone, with a UTC fallback (Slack's
    `<!date^…>` token)."""
    epoch = int(when.timestamp())
    fallback = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>"
