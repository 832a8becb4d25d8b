"""How the report says things to people (money itself: `bot.common.formatting`, one currency table),
percentages (60%), durations ("1 month"), and the risk kinds as words in a sentence."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from bot.common.formatting import CURRENCY_SIGNS
from bot.common.vocab import Kind

# "we saved 2 customers from <risk>" / "12 customers at risk for that reason"
RISK_PHRASES = {
    Kind.CANCELLATION: "cancellation",
    Kind.NON_RENEWAL: "non-renewal",
    Kind.DOWNGRADE: "downgrade risk",
    Kind.CONTACT_LEFT: "main-contact-turnover risk",
    Kind.USAGE_DROP: "usage-drop risk",
    Kind.BUDGET_CUT: "budget-cut risk",
    Kind.COMPETITOR: "competitor risk",
    Kind.NEGATIVE_FEEDBACK: "negative-feedback risk",
    Kind.OTHER: "other risks",
}
# short labels (chart axis, CSV, tables)
KIND_LABELS = {
    Kind.CANCELLATION: "Cancellation",
    Kind.NON_RENEWAL: "Non-renewal",
    Kind.DOWNGRADE: "Downgrade",
    Kind.CONTACT_LEFT: "Main-contact turnover",
    Kind.USAGE_DROP: "Usage drop",
    Kind.BUDGET_CUT: "Budget cut",
    Kind.COMPETITOR: "Competitor",
    Kind.NEGATIVE_FEEDBACK: "Negative feedback",
    Kind.OTHER: "Other",
    Kind.PAYMENT_FAILED: "Payment failed",
}
PERIOD_WORDS = {
    "week": "last week",
    "month": "in the last 30 days",
    "quarter": "in the last 90 days",
}


def risk_phrase(kind: str) -> str:
    return RISK_PHRASES.get(kind, f"{kind.replace('_', ' ')} risk")


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def short_money(amount: float, currency: str = "USD") -> str:
    """Axis ticks: $250k, $1.2M."""
    sign = CURRENCY_SIGNS.get(currency, "")
    suffix = "" if sign else f" {currency}"
    value = abs(amount)
    if value >= 1_000_000:
        text = f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    elif value >= 1_000:
        text = f"{value / 1_000:.0f}k"
    else:
        text = f"{value:.0f}"
    return f"{'-' if amount < 0 else ''}{sign}{text}{suffix}"


def percent(fraction: float) -> str:
    """60%; rounded half up to a whole percent."""
    return f"{Decimal(str(fraction * 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def duration(delta: timedelta) -> str:
    """A time at risk in the unit people use: hours under a day, days under two weeks,
    weeks under four, then months of 30 days ("1 month", "3 months"), each rounded."""
    hours = delta.total_seconds() / 3600
    days = hours / 24
    if days < 1:
        return plural(max(_half_up(hours), 1), "hour")
    if days < 14:
        return plural(_half_up(days), "day")
    if days < 28:
        return plural(_half_up(days / 7), "week")
    return plural(max(_half_up(days / 30), 1), "month")


def _half_up(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def change(now: object, before: object, shown: str) -> str:
    """The trend beside a figure (docs/reports.md, *Trend*): " (up from 41%)", " (down from
    $30,000)", " (unchanged)", or "" when there is no previous figure; `shown` is the
    previous figure as words. Numbers, Decimals and timedeltas compare as themselves."""
    if before is None:
        return ""
    if now == before:
        return " (unchanged)"
    return f" ({'up' if now > before else 'down'} from {shown})"  # type: ignore[operator]
