"""Reading Stripe events: tolerant of older and current API shapes, strict only about what
we cannot do without (event id, type, created; an invoice's id and customer).

Shapes (Stripe API reference, "Invoice" and "Subscription" objects and the changelog):
- an invoice's subscription was `subscription` (a string, or an object when expanded) and
  is now `parent.subscription_details.subscription` (API 2025-03-31.basil and later);
- `customer` is an id, or an object when expanded;
- a subscription's price is `items.data[].price` (current) or `.plan` / a top-level `plan`
  with `quantity` (older); tiered prices have no `unit_amount` and count as unknown.
A missing optional field reads as None; nothing here raises anything but `BadEvent`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.common.vocab import InvoiceStatus
from bot.finance.money import from_minor

INVOICE_STATUS_BY_TYPE = {
    "invoice.paid": "paid",
    "invoice.payment_succeeded": "paid",
    "invoice.voided": "void",
    "invoice.marked_uncollectible": "uncollectible",
}
INVOICE_TYPES = frozenset(
    {
        "invoice.created",
        "invoice.finalized",
        "invoice.updated",
        "invoice.overdue",
        "invoice.payment_failed",
        *INVOICE_STATUS_BY_TYPE,
    }
)
SUBSCRIPTION_TYPES = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)
INVOLUNTARY_REASONS = frozenset({"payment_failed", "payment_disputed"})
PERIODS_PER_YEAR = {"day": Decimal(365), "week": Decimal(52), "month": Decimal(12), "year": 1}


class BadEvent(ValueError):
    """The body is not a usable Stripe event; the message names the field (answered 400)."""


@dataclass(frozen=True)
class StripeEvent:
    """One verified webhook event. `created` is when Stripe created the event (UTC)."""

    id: str
    type: str
    created: datetime
    obj: dict[str, Any]


@dataclass(frozen=True)
class InvoiceState:
    """An invoice as an event shows it; amounts in major units of `currency`, `due_date`
    the calendar day in the policy's timezone."""

    invoice_id: str
    customer_id: str
    customer_name: str | None
    amount_due: Decimal
    amount_remaining: Decimal
    currency: str
    due_date: date | None
    status: str
    hosted_invoice_url: str | None
    subscription_id: str | None


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription as an event shows it; `arr` is the yearly value of its items in
    `currency` (major units), None when a price is unknown (e.g. tiered)."""

    subscription_id: str
    customer_id: str
    status: str
    cancel_at_period_end: bool
    cancel_at: datetime | None
    reason: str | None
    feedback: str | None
    comment: str | None
    arr: Decimal | None
    currency: str | None

    @property
    def cancelling(self) -> bool:
        """Set to end (at period end or at a date) but not ended yet."""
        ending = self.cancel_at_period_end or self.cancel_at is not None
        return ending and self.status != "canceled"

    @property
    def involuntary(self) -> bool:
        """Stripe ended it for non-payment or a dispute, not the customer's choice."""
        return self.reason in INVOLUNTARY_REASONS


def parse_event(body: bytes) -> StripeEvent:
    """The event in a verified webhook body. BadEvent names what is missing."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadEvent("body: not JSON") from None
    if not isinstance(data, dict):
        raise BadEvent("body: expected a JSON object (a Stripe event)")
    event_id = _text(data, "id")
    kind = _text(data, "type")
    created = _moment(data.get("created"))
    if event_id is None:
        raise BadEvent("id: missing")
    if kind is None:
        raise BadEvent("type: missing")
    if created is None:
        raise BadEvent("created: missing or not a Unix time")
    obj = _dict(data.get("data")).get("object")
    return StripeEvent(event_id, kind, created, obj if isinstance(obj, dict) else {})


def invoice_state(event: StripeEvent, tz: ZoneInfo) -> InvoiceState:
    """The invoice in an `invoice.*` event. BadEvent when its id or customer is missing."""
    obj = event.obj
    invoice_id, customer = _id_and_customer(obj)
    currency = (_text(obj, "currency") or "usd").upper()[:3]
    due = from_minor(obj.get("amount_due"), currency) or Decimal(0)
    remaining = from_minor(obj.get("amount_remaining"), currency)
    status = INVOICE_STATUS_BY_TYPE.get(event.type) or _text(obj, "status") or "open"
    if remaining is None:
        remaining = Decimal(0) if status in (InvoiceStatus.PAID, InvoiceStatus.VOID) else due
    due_at = _moment(obj.get("due_date"))
    return InvoiceState(
        invoice_id=invoice_id,
        customer_id=customer,
        customer_name=_text(obj, "customer_name") or _text(obj, "customer_email"),
        amount_due=due,
        amount_remaining=remaining,
        currency=currency,
        due_date=due_at.astimezone(tz).date() if due_at else None,
        status=status,
        hosted_invoice_url=_text(obj, "hosted_invoice_url"),
        subscription_id=_invoice_subscription(obj),
    )


def subscription_state(event: StripeEvent) -> SubscriptionState:
    """The subscription in a `customer.subscription.*` event. BadEvent when its id or
    customer is missing."""
    obj = event.obj
    sub_id, customer = _id_and_customer(obj)
    details = _dict(obj.get("cancellation_details"))
    status = _text(obj, "status") or ("canceled" if event.type.endswith(".deleted") else "active")
    arr, currency = annual_value(obj)
    return SubscriptionState(
        subscription_id=sub_id,
        customer_id=customer,
        status=status,
        cancel_at_period_end=obj.get("cancel_at_period_end") is True,
        cancel_at=_moment(obj.get("cancel_at")),
        reason=_text(details, "reason"),
        feedback=_text(details, "feedback"),
        comment=_text(details, "comment"),
        arr=arr,
        currency=currency,
    )


def annual_value(obj: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    """ARR of a subscription: sum of unit amount * quantity * periods per year over its items,
    in major units. None when there are no items or any price is unknown."""
    items = _dict(obj.get("items")).get("data")
    if not isinstance(items, list) or not items:
        plan = obj.get("plan")
        items = [{"plan": plan, "quantity": obj.get("quantity", 1)}] if plan else []
    total, currency = Decimal(0), None
    for item in items:
        yearly = _item_yearly(_dict(item))
        if yearly is None:
            return None, currency
        amount, item_currency = yearly
        if currency not in (None, item_currency):
            return None, currency  # mixed currencies: no single ARR
        total, currency = total + amount, item_currency
    return (total, currency) if currency else (None, None)


def _item_yearly(item: dict[str, Any]) -> tuple[Decimal, str] | None:
    price = _dict(item.get("price")) or _dict(item.get("plan"))
    currency = (_text(price, "currency") or "").upper()[:3]
    recurring = _dict(price.get("recurring"))
    interval = _text(recurring, "interval") or _text(price, "interval")
    count = recurring.get("interval_count", price.get("interval_count", 1))
    unit = price.get("unit_amount", price.get("amount"))
    if unit is None and price.get("unit_amount_decimal") is not None:
        unit = str(price["unit_amount_decimal"])
    major = from_minor(unit, currency) if currency else None
    quantity = item.get("quantity", 1)
    if major is None or interval not in PERIODS_PER_YEAR:
        return None
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        count = 1
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        quantity = 1
    yearly = major * quantity * PERIODS_PER_YEAR[interval] / count
    return yearly.quantize(Decimal("0.001")).normalize(), currency


def _id_and_customer(obj: dict[str, Any]) -> tuple[str, str]:
    """The event object's id and its customer's: an invoice or subscription is of no use
    without them, so BadEvent names the one missing."""
    object_id = _text(obj, "id")
    customer = _ref(obj.get("customer"))
    if object_id is None:
        raise BadEvent("data.object.id: missing")
    if customer is None:
        raise BadEvent("data.object.customer: missing")
    return object_id, customer


def _invoice_subscription(obj: dict[str, Any]) -> str | None:
    details = _dict(_dict(obj.get("parent")).get("subscription_details"))
    return _ref(details.get("subscription")) or _ref(obj.get("subscription"))


def _ref(value: Any) -> str | None:
    """An id, whether Stripe sent the id or the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value.strip() else None


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _moment(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
