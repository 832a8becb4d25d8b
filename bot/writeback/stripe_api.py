"""The Stripe calls write-back makes, with the `stripe` library (`STRIPE_API_KEY`; its base
URL is `STRIPE_API_BASE` when set, e.g. a local stand-in).

Every write carries an idempotency key derived from the Savedesk object it stands for, so
a job that runs again after a lost answer gets Stripe's first answer back instead of a
second effect (Stripe docs, "Idempotent requests"); subscription changes also carry a
`savedesk_offer_<id>` metadata mark that a later run reads before changing anything, which
holds beyond the 24 h a key lives. Stripe's refusals (4xx: permissions, a missing object, an
invalid state) raise `Refusal` with Stripe's own message; anything transient (no answer,
429, 5xx) propagates for the job to retry. Stripe saves a 500 under its key too and replays
it for a day, so a retry that only repeated the key would fail the same way until the job
gave up: such a replay raises `Replayed`, and the caller reads Stripe's state again (its
first request ended, having changed nothing or everything) and writes with a new key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

from bot.common.vocab import InvoiceStatus

LIVE_STATUSES = ("active", "trialing", "past_due")
"""Subscriptions a renewal or an offer can act on."""


class Refusal(Exception):
    """Stripe refused the request; the message is Stripe's (shown in the thread)."""


class Replayed(Exception):
    """Stripe answered with a 5xx it saved for this idempotency key (`Idempotent-Replayed:
    true`), or refused the key because its first request had other parameters (the state
    they were computed from changed meanwhile): either way that request has ended, and
    repeating the key would repeat the answer."""


@dataclass(frozen=True)
class Subscription:
    """What write-back needs of a subscription: id, status, whether collection is paused,
    its discounts' ids, its metadata, and when its period or trial ends (UTC)."""

    id: str
    status: str
    paused: bool
    discounts: tuple[str, ...]
    metadata: dict[str, str]
    period_end: datetime | None
    trial_end: datetime | None

    @classmethod
    def of(cls, obj: Any) -> Subscription:
        data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
        items = (data.get("items") or {}).get("data") or [{}]
        period_end = data.get("current_period_end") or items[0].get("current_period_end")
        discounts = [d if isinstance(d, str) else d.get("id") for d in data.get("discounts") or []]
        return cls(
            id=data["id"],
            status=data.get("status", ""),
            paused=bool(data.get("pause_collection")),
            discounts=tuple(d for d in discounts if d),
            metadata=dict(data.get("metadata") or {}),
            period_end=_moment(period_end),
            trial_end=_moment(data.get("trial_end")),
        )


def _moment(seconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(int(seconds), UTC) if seconds else None


class StripeBilling:
    """The few Stripe calls Savedesk makes, each one request (the library's own network
    retries are off: the job's retries are durable)."""

    def __init__(self, api_key: str, api_base: str | None = None) -> None:
        bases: Any = {"api": api_base.rstrip("/")} if api_base else None
        self.client = stripe.StripeClient(api_key, base_addresses=bases, max_network_retries=0)

    def live_subscription(self, customer: str) -> Subscription | None:
        """The customer's newest subscription that is active, trialing or past due."""
        found = _call(self.client.v1.subscriptions.list, {"customer": customer, "status": "all"})
        for sub in found.data:
            if sub.status in LIVE_STATUSES:
                return Subscription.of(sub)
        return None

    def subscription(self, subscription_id: str) -> Subscription:
        return Subscription.of(_call(self.client.v1.subscriptions.retrieve, subscription_id))

    def update_subscription(
        self, subscription_id: str, params: dict[str, Any], key: str
    ) -> Subscription:
        """POST /v1/subscriptions/{id} with `params`, idempotency key `key`."""
        updated = _call(
            self.client.v1.subscriptions.update, subscription_id, params,
            {"idempotency_key": key},
        )  # fmt: skip
        return Subscription.of(updated)

    def held_renewals(self, subscription_id: str) -> list[str]:
        """The subscription's renewal invoices a pause kept as drafts: `billing_reason`
        subscription_cycle, status draft, `auto_advance` false (Stripe docs, "Pause payment
        collection": they stay drafts after collection resumes until finalized)."""
        params = {"subscription": subscription_id, "status": InvoiceStatus.DRAFT, "limit": 100}
        found = _call(self.client.v1.invoices.list, params)
        return [
            str(invoice.id)
            for invoice in found.data
            if invoice.billing_reason == "subscription_cycle" and not invoice.auto_advance
        ]

    def finalize(self, invoice_id: str, key: str) -> None:
        """Finalize a draft invoice with automatic advancement on, so Stripe charges it or
        sends it, as its collection method says (Stripe docs, "Finalize an invoice")."""
        _call(
            self.client.v1.invoices.finalize_invoice, invoice_id, {"auto_advance": True},
            {"idempotency_key": key},
        )  # fmt: skip

    def create_coupon(self, params: dict[str, Any], key: str) -> str:
        """The coupon's id; a coupon with the same id made by an earlier run is reused."""
        try:
            coupon = _call(self.client.v1.coupons.create, params, {"idempotency_key": key})
        except Refusal as refusal:
            if getattr(refusal, "code", None) != "resource_already_exists":
                raise
            return str(params["id"])
        return str(coupon.id)

    def credited(self, customer: str, offer_id: int) -> str | None:
        """The id of the customer's balance transaction made for `offer_id` (its metadata
        `savedesk_offer`) among their newest 100, None when there is none: how a run finds a
        credit an earlier run added once Stripe no longer knows the key (after a day)."""
        params = {"limit": 100}
        found = _call(self.client.v1.customers.balance_transactions.list, customer, params)
        for txn in found.data:
            metadata = txn.to_dict().get("metadata") or {}
            if metadata.get("savedesk_offer") == str(offer_id):
                return str(txn.id)
        return None

    def credit(self, customer: str, params: dict[str, Any], key: str) -> str:
        """A customer balance transaction (negative amount: a credit); its id."""
        created = _call(
            self.client.v1.customers.balance_transactions.create, customer, params,
            {"idempotency_key": key},
        )  # fmt: skip
        return str(created.id)


def _call(method: Any, *args: Any) -> Any:
    try:
        return method(*args)
    except (stripe.APIConnectionError, stripe.RateLimitError):
        raise  # transient: the job retries with the same key
    except stripe.StripeError as err:
        status = getattr(err, "http_status", None) or 0
        headers = {str(k).lower(): v for k, v in dict(err.headers or {}).items()}
        replayed = status >= 500 and headers.get("idempotent-replayed") == "true"
        if replayed or isinstance(err, stripe.IdempotencyError):  # the key's request ended
            raise Replayed(err.user_message or str(err)) from err
        if status >= 500 or status == 409:  # 409: a concurrent request with the same key
            raise
        refusal = Refusal(err.user_message or str(err))
        refusal.code = getattr(err, "code", None)  # type: ignore[attr-defined]
        raise refusal from err
