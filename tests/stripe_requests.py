"""Stripe events for tests, signed exactly as Stripe signs them: header
`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (Stripe docs, "Check the
webhook signatures"). The app verifies them with the stripe library; this signer is
written independently so a mistake on either side shows."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from demo.standin.sender import Response, SlackSender

SECRET = "whsec_test"
_ids = itertools.count(1)


def sign(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(kind: str, obj: dict[str, Any], created: datetime, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{next(_ids):06d}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": int(created.timestamp()),
        "type": kind,
        "livemode": False,
        "data": {"object": obj},
    }


def due_ts(day: date, tz: str = "America/New_York") -> int:
    """Stripe's due_date for a calendar day: a moment inside that day in the policy's zone."""
    return int(datetime.combine(day, dtime(12), tzinfo=ZoneInfo(tz)).timestamp())


def invoice(
    invoice_id: str,
    *,
    customer: str = "cus_acme",
    amount_due: int = 120000,
    amount_remaining: int | None = None,
    currency: str = "usd",
    due: date | None = None,
    status: str = "open",
    subscription: str | None = "sub_1",
    legacy: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """An invoice object; `legacy` puts the subscription where older API versions had it."""
    obj: dict[str, Any] = {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "amount_due": amount_due,
        "amount_remaining": amount_due if amount_remaining is None else amount_remaining,
        "currency": currency,
        "due_date": due_ts(due) if due else None,
        "status": status,
        "hosted_invoice_url": f"https://invoice.stripe.com/i/{invoice_id}",
        **extra,
    }
    if subscription and legacy:
        obj["subscription"] = subscription
    elif subscription:
        obj["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription},
        }
    return obj


def subscription(
    sub_id: str = "sub_1",
    *,
    customer: str = "cus_acme",
    status: str = "active",
    cancel_at_period_end: bool = False,
    reason: str | None = None,
    feedback: str | None = None,
    comment: str | None = None,
    unit_amount: int = 50000,
    interval: str = "month",
    quantity: int = 2,
) -> dict[str, Any]:
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": None,
        "cancellation_details": {"reason": reason, "feedback": feedback, "comment": comment},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "quantity": quantity,
                    "price": {
                        "id": "price_1",
                        "currency": "usd",
                        "unit_amount": unit_amount,
                        "recurring": {"interval": interval, "interval_count": 1},
                    },
                }
            ],
        },
    }


def post(
    sender: SlackSender,
    payload: dict[str, Any] | bytes,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    header: str | None = None,
) -> Response:
    """POST an event to /webhooks/stripe over HTTP the way Stripe does (real time stamp)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signature = header if header is not None else sign(body, secret, timestamp)
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
    return sender.post("/webhooks/stripe", body, headers)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, dtime(hour), tzinfo=UTC)
