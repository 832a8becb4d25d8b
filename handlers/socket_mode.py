"""Slack traffic over Socket Mode: Bolt's handler, with each request stamped with when it
arrived (`handlers.acting.ARRIVED`), as `/slack/events` stamps it over HTTP. Slack's 3 s for
an acknowledgement run from then: time a busy process spends in Bolt's authorization,
middleware and listener queue counts against `ACK_BUDGET_SECONDS` in Socket Mode too."""

from __future__ import annotations

import time

from slack_bolt import BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers, send_response
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from handlers.acting import ARRIVED


class StampingHandler(SocketModeHandler):
    """Bolt's built-in Socket Mode handler; `handle` is its own, plus the `ARRIVED` stamp."""

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        start, arrived = time.time(), time.monotonic()
        request = BoltRequest(
            mode="socket_mode",
            body=req.payload,
            headers=build_headers(req),
            context={ARRIVED: arrived},  # Slack's 3 s started when the envelope came
        )
        send_response(client, req, self.app.dispatch(request), start)
