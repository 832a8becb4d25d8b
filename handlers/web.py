"""The HTTP surface: Slack's /slack/events, the webhooks, and /healthz, on Flask.

Every body is refused over `MAX_BODY_BYTES` with 413 before it is read (Slack's own
payloads are far below it; docs/operations.md, *HTTP limits*). While the database cannot be reached,
requests answer 503 with `Retry-After`, never 500, so that Stripe and other senders retry.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.adapter.flask.handler import to_bolt_request, to_flask_response
from slack_sdk.signature import SignatureVerifier
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from bot.runtime.checkup import assess
from bot.runtime.health import database_unavailable
from bot.runtime.services import Services
from handlers import webhooks
from handlers.acting import ARRIVED
from handlers.errors import new_reference

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
"""The largest request body any endpoint reads (bytes); waitress refuses larger ones too."""
RETRY_AFTER_SECONDS = 5


def create_web_app(services: Services, bolt_app: App | None, role: str = "web") -> Flask:
    """The Flask app; `role` (web, worker or all) is what `/healthz` says this process runs."""
    web = Flask("savedesk")
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    # In Socket Mode requests are not signed over HTTP (verification is off), so the
    # HTTP route must not exist at all.
    if bolt_app is not None and not services.settings.socket_mode:
        slack_app = bolt_app
        signatures = SignatureVerifier(services.settings.slack_signing_secret or "")

        @web.post("/slack/events")
        def slack_events() -> Response | tuple[Response, int]:
            try:  # Bolt reads the body before it checks the signature
                parsed = to_bolt_request(request)
            except (ValueError, TypeError, AttributeError, KeyError, IndexError) as err:
                # JSON that is not, or fields Slack never sends as they are (an event's
                # `user` a number): refused without a traceback, signed or not
                signed = signatures.is_valid_request(request.get_data(), dict(request.headers))
                if not signed:
                    return jsonify(error="invalid signature"), 401
                what = "not valid JSON" if isinstance(err, ValueError) else "not a Slack request"
                return jsonify(error=f"the body is {what}"), 400
            parsed.context[ARRIVED] = time.monotonic()  # Slack's 3 s started then
            return to_flask_response(slack_app.dispatch(parsed))

    if bolt_app is not None and bolt_app.oauth_flow is not None:  # OAuth mode's install pages
        installer = SlackRequestHandler(bolt_app)  # (the OAuth state, not a signature, guards them)

        @web.get("/slack/install")
        @web.get("/slack/oauth_redirect")
        def slack_install() -> Response:
            return installer.handle(request)

    webhooks.register(web, services)
    _add_healthz(web, services, role)

    @web.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response, int] | tuple[Response, int, dict]:
        if isinstance(error, RequestEntityTooLarge):
            return jsonify(error=f"body: larger than {MAX_BODY_BYTES} bytes"), 413
        if isinstance(error, HTTPException):
            return jsonify(error=error.description), error.code or 500
        if database_unavailable(error):
            log.warning("%s: database unavailable; asked the sender to retry", request.path)
            answer = jsonify(error="the database is unavailable; nothing was saved, retry later")
            return answer, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        ref = new_reference()
        log.error("unhandled error in %s, reference %s", request.path, ref, exc_info=error)
        return jsonify(error="internal error", reference=ref), 500

    return web


def create_health_app(services: Services, role: str) -> Flask:
    """Only `/healthz`: what a worker process serves on HEALTH_PORT."""
    web = Flask("savedesk-health")
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    _add_healthz(web, services, role)
    return web


def _add_healthz(web: Flask, services: Services, role: str) -> None:
    @web.get("/healthz")
    def healthz() -> tuple[Response, int]:
        checkup = assess(services, role)
        return jsonify(checkup.body()), 200 if checkup.ok else 503
