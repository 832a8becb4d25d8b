"""The HTTP surface: Slack's /slack/events, the webhooks, and /healthz, on Flask."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from werkzeug.exceptions import HTTPException

from bot.services import Services
from handlers import webhooks
from handlers.errors import new_reference

log = logging.getLogger(__name__)


def create_web_app(services: Services, bolt_app: App | None) -> Flask:
    web = Flask("savedesk")
    # In Socket Mode requests are not signed over HTTP (verification is off), so the
    # HTTP route must not exist at all.
    if bolt_app is not None and not services.settings.socket_mode:
        slack = SlackRequestHandler(bolt_app)

        @web.post("/slack/events")
        def slack_events() -> Response:
            return slack.handle(request)

    webhooks.register(web, services)

    @web.get("/healthz")
    def healthz() -> tuple[Response, int]:
        if not services.db.ping():
            return jsonify(status="unavailable", database="not answering"), 503
        return jsonify(status="ok", database="ok"), 200

    @web.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response, int]:
        if isinstance(error, HTTPException):
            return jsonify(error=error.description), error.code or 500
        ref = new_reference()
        log.error("unhandled error in %s, reference %s", request.path, ref, exc_info=error)
        return jsonify(error="internal error", reference=ref), 500

    return web
