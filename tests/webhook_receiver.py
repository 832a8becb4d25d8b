"""A real HTTP endpoint for outbound webhooks: verifies every request with the independent
`standardwebhooks` library (and the example in docs/webhooks.md), answers 500 when told to, and
keeps what it accepted."""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


@dataclass
class Seen:
    """One request: its headers, body, and whether the signature verified."""

    headers: dict[str, str]
    body: str
    verified: bool
    status: int

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Serves on a free port; `fail_next` requests are answered 500 (after verifying)."""

    secret: str = field(default_factory=new_secret)
    fail_next: int = 0
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self
        verifier = Webhook(self.secret)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    verifier.verify(body, headers)
                    verified = True
                except WebhookVerificationError:
                    verified = False
                with receiver._lock:
                    status = 401 if not verified else 500 if receiver.fail_next else 204
                    if verified and receiver.fail_next:
                        receiver.fail_next -= 1
                    receiver.seen.append(Seen(headers, body, verified, status))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/savedesk"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[dict[str, Any]]:
        """The events accepted (2xx), in order."""
        with self._lock:
            return [s.event for s in self.seen if s.status < 300]

    def types(self) -> list[str]:
        return [event["type"] for event in self.accepted()]

    def policy(self, events: list[str] | None = None) -> str:
        chosen = f"events = {json.dumps(events)}\n" if events else ""
        return f'\n[[outbound_webhooks]]\nurl = "{self.url}"\nsecret = "{self.secret}"\n{chosen}'
