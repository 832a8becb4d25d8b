"""`POST /webhooks/stripe`: verify with the stripe library, parse in bot/, apply once.

Answers (docs/stripe.md, *Verification and idempotency*): a bad or stale
`Stripe-Signature` → 400 and no effect (the
library's default 5-minute tolerance); a body we cannot use → 400 naming the field; an
event id seen before → 200 `{"duplicate": true}`; a type we do not handle → 200
`{"ignored": true}`; otherwise 200 `{"received": true}`. Stripe retries anything else.
"""

from __future__ import annotations

import logging

import stripe
from flask import Flask, Response, jsonify, request

from bot.finance.stripe_events import BadEvent, parse_event
from bot.finance.stripe_service import EventOutcome, StripeService

log = logging.getLogger(__name__)

STRIPE_PATH = "/webhooks/stripe"
SIGNATURE_HEADER = "Stripe-Signature"
MAX_BODY_BYTES = 1_000_000
TOLERANCE = stripe.Webhook.DEFAULT_TOLERANCE  # 300 seconds, the library's default


def register(web: Flask, service: StripeService, secret: str | None) -> None:
    """Add the route when `STRIPE_WEBHOOK_SECRET` is set (otherwise it does not exist)."""
    if not secret:
        return

    @web.post(STRIPE_PATH)
    def stripe_webhook() -> tuple[Response, int]:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return jsonify(error=f"body: larger than {MAX_BODY_BYTES} bytes"), 413
        body = request.get_data(cache=False)  # the exact bytes Stripe signed
        try:
            stripe.WebhookSignature.verify_header(
                body,
                request.headers.get(SIGNATURE_HEADER),
                secret,
                stripe.Webhook.DEFAULT_TOLERANCE,
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as err:
            log.warning("stripe webhook refused: %s", str(err)[:200])
            return jsonify(error="Stripe-Signature: not a valid, recent signature"), 400
        try:
            event = parse_event(body)
            handled = service.receive(event)
        except BadEvent as bad:
            return jsonify(error=str(bad)), 400
        if handled.outcome == EventOutcome.DUPLICATE:
            return jsonify(received=True, duplicate=True), 200
        if handled.outcome == EventOutcome.IGNORED:
            return jsonify(received=True, ignored=True), 200
        return jsonify(received=True, outcome=handled.outcome), 200
