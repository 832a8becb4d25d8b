"""The floor every benchmark compares with: a Bolt app whose `/churn` only calls `ack()`, and a
`/webhooks/signals` that only checks the signature, on waitress with Bolt's Flask adapter —
the same stack and thread count as `python app.py web`, minus Savedesk.

    python -m bench.bare_bolt --port 3100 --threads 4 --api-url http://127.0.0.1:8888/api/
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask, Response, jsonify, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient
from waitress import serve

from bench.harness import SECRET, SIGNALS_SECRET, TOKEN


def bare_app(api_url: str) -> Flask:
    bolt = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=api_url),
        token_verification_enabled=False,
        process_before_response=False,
    )

    @bolt.command("/churn")
    def churn(ack: Ack) -> None:
        ack()

    handler = SlackRequestHandler(bolt)
    web = Flask("bare")

    @web.post("/slack/events")
    def slack_events() -> Response:
        return handler.handle(request)

    @web.post("/webhooks/signals")
    def signals() -> tuple[Response, int]:
        body = request.get_data(cache=False)
        stamp = request.headers.get("X-Savedesk-Request-Timestamp", "")
        digest = hmac.new(SIGNALS_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
        given = request.headers.get("X-Savedesk-Signature", "")
        if not hmac.compare_digest(f"v0={digest.hexdigest()}", given):
            return jsonify(error="signature"), 401
        return jsonify(ok=True), 200

    @web.get("/healthz")
    def healthz() -> tuple[Response, int]:
        return jsonify(status="ok"), 200

    return web


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--api-url", required=True)
    args = parser.parse_args()
    serve(bare_app(args.api_url), host="127.0.0.1", port=args.port, threads=args.threads)


if __name__ == "__main__":
    main()
