"""`POST /webhooks/signals`: churn signals from any system. Thin: verify, parse in bot/, call
one service, answer."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request

from bot.cases.models import Opened
from bot.runtime.services import Services
from bot.signals.webhook import (
    MAX_BODY_BYTES,
    BadSignal,
    parse_webhook,
    verify_request,
)

log = logging.getLogger(__name__)

SIGNALS_PATH = "/webhooks/signals"
TIMESTAMP_HEADER = "X-Savedesk-Request-Timestamp"
SIGNATURE_HEADER = "X-Savedesk-Signature"


def register(web: Flask, services: Services) -> None:
    """The route exists only when SIGNALS_WEBHOOK_SECRET is set (else 404)."""
    secret = services.settings.signals_webhook_secret
    if not secret:
        return

    @web.post(SIGNALS_PATH)
    def signals_webhook() -> tuple[Response, int] | tuple[Response, int, dict[str, str]]:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return jsonify(error=f"body: larger than {MAX_BODY_BYTES} bytes"), 413
        body = request.get_data(cache=False)  # the exact bytes that were signed
        headers = request.headers
        problem = verify_request(
            secret,
            headers.get(TIMESTAMP_HEADER),
            headers.get(SIGNATURE_HEADER),
            body,
            services.clock.now(),
        )
        if problem is not None:
            log.warning("signals webhook refused: %s", problem)
            return jsonify(error=problem), 401
        try:
            signal = parse_webhook(body)
        except BadSignal as bad:
            return jsonify(error=str(bad)), 400
        # Answered once the case is committed (the answer carries its id): nothing answered
        # is lost. A database that cannot be reached is a 503 with Retry-After (handlers.web).
        return _answer(services.signals.receive(signal))


def _answer(opened: Opened) -> tuple[Response, int]:
    if opened.created:
        return jsonify(case_id=opened.case_id, created=True), 201
    flag = "duplicate" if opened.duplicate else "attached"
    return jsonify({"case_id": opened.case_id, "created": False, flag: True}), 200
