"""Send requests into a running Bolt app over HTTP, signed and shaped as Slack sends them.

Going through the real HTTP endpoint (not calling handlers directly) means tests, and the
demo page acting for a person, also cover signature checking, body parsing and the
3-second ack path. Signing: https://api.slack.com/authentication/verifying-requests-from-slack
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

EVENTS_PATH = "/slack/events"
TEAM_ID = "T0TEST"
TEAM_DOMAIN = "savedesk-test"
API_APP_ID = "A0SAVEDESK"
BOT_USER_ID = "U0BOT"
VERIFICATION_TOKEN = "verification-token-unused"  # deprecated by Slack, still sent
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
UNREACHABLE_RESPONSE_URL = "http://127.0.0.1:9/response/unset"  # refused fast, never internet
FORM = "application/x-www-form-urlencoded"


# What Slack leaves unescaped in message text: mentions, channel links, broadcasts, links.
_CONTROL = re.compile(r"<(?:@[UW][A-Z0-9]+|#C[A-Z0-9]+|![a-z^A-Z0-9]+|https?://|mailto:)[^<>]*>")


def slack_escaped(typed: str) -> str:
    """Message text as Slack delivers it: `&`, `<`, `>` escaped, control sequences
    (`<@U…>`, `<#C…>`, `<!here>`, `<https://…|label>`) left as they are."""
    out, last = [], 0
    for match in _CONTROL.finditer(typed):
        out.append(_escape(typed[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_escape(typed[last:]))
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(message: dict) -> dict:
    """A message dict with its text (and attachments' text) escaped as Slack sends it."""
    escaped = dict(message)
    if isinstance(escaped.get("text"), str):
        escaped["text"] = slack_escaped(escaped["text"])
    if escaped.get("attachments"):
        escaped["attachments"] = [
            {k: slack_escaped(v) if k in ("text", "pretext") and isinstance(v, str) else v
             for k, v in a.items()}
            for a in escaped["attachments"]
        ]  # fmt: skip
    return escaped


@dataclass
class Response:
    """What the app answered."""

    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def _user(user_id: str) -> dict:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID}


def _channel(channel_id: str) -> dict:
    return {"id": channel_id, "name": _channel_name(channel_id)}


def _channel_name(channel_id: str) -> str:
    if channel_id.startswith("D"):
        return "directmessage"
    if channel_id.startswith("G"):
        return "privategroup"
    return "general" if channel_id == "C0GENERAL" else channel_id.lower()


def _state_values(values: dict) -> dict:
    """Accept Slack's shape, or a shorthand ``{block_id: {action_id: "text"}}``."""
    return {
        block_id: {
            action_id: value
            if isinstance(value, dict)
            else {"type": "plain_text_input", "value": value}
            for action_id, value in actions.items()
        }
        for block_id, actions in values.items()
    }


class SlackSender:
    """Plays Slack's side of slash commands, interactivity and the Events API."""

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        clock: Callable[[], float] = time.time,
        *,
        response_url_factory: Callable[[], str] | None = None,
        timeout: float = 10.0,
        team_id: str = TEAM_ID,
        enterprise_id: str | None = None,
        org_wide: bool = False,
    ) -> None:
        """Requests from workspace ``team_id`` of org ``enterprise_id`` (app ``org_wide``)."""
        self.team_id, self.enterprise_id, self.org_wide = team_id, enterprise_id, org_wide
        self.base_url = base_url.rstrip("/")
        self.signing_secret = signing_secret
        self.clock = clock
        self.timeout = timeout
        self._response_url_factory = response_url_factory
        self._counter = itertools.count(1)

    # -- low level

    def sign(self, body: bytes, timestamp: int) -> dict[str, str]:
        """The two headers Slack adds: v0 HMAC-SHA256 over ``v0:{ts}:{body}``."""
        base = b"v0:" + str(timestamp).encode() + b":" + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> Response:
        """POST exactly these bytes and headers (no signing); HTTP errors become Responses."""
        request = urllib.request.Request(
            f"{self.base_url}{path}", data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return Response(reply.status, dict(reply.headers.items()), reply.read())
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, dict(error.headers.items()), error.read())

    def send_signed(
        self, body: bytes, content_type: str, extra_headers: dict[str, str] | None = None
    ) -> Response:
        """Sign ``body`` with the current clock and POST it to ``/slack/events``."""
        headers = {"Content-Type": content_type, "User-Agent": USER_AGENT}
        headers |= self.sign(body, int(self.clock())) | (extra_headers or {})
        return self.post(EVENTS_PATH, body, headers)

    # -- slash commands and interactivity

    def slash_command(
        self,
        text: str,
        *,
        command: str = "/churn",
        user_id: str = "U0CSM",
        channel_id: str = "C0GENERAL",
        response_url: str | None = None,
        trigger_id: str | None = None,
        team_id: str | None = None,
    ) -> Response:
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id or self.team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": _channel_name(channel_id),
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,  # as given: Slack escapes &, <, > in it (see `slack_escaped`)
            "api_app_id": API_APP_ID,
            "is_enterprise_install": str(self.org_wide).lower(),
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            "response_url": response_url or self.new_response_url(),
            "trigger_id": trigger_id or self.new_trigger_id(),
        }
        return self.send_signed(urlencode(fields).encode(), FORM)

    def interactive(self, payload: dict) -> Response:
        """Send an interactivity payload (``payload=<json>`` form body)."""
        return self.send_signed(urlencode({"payload": json.dumps(payload)}).encode(), FORM)

    def new_trigger_id(self) -> str:
        n = next(self._counter)
        return f"{n}.{n}.{uuid.uuid4().hex}"

    def new_response_url(self) -> str:
        return (
            self._response_url_factory() if self._response_url_factory else UNREACHABLE_RESPONSE_URL
        )

    def _base_payload(self, kind: str, user_id: str, trigger_id: str | None) -> dict:
        return {
            "type": kind,
            "team": {"id": self.team_id, "domain": TEAM_DOMAIN},
            "user": _user(user_id) | {"team_id": self.team_id},
            "api_app_id": API_APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": trigger_id or self.new_trigger_id(),
            "is_enterprise_install": self.org_wide,
            "enterprise": {"id": self.enterprise_id} if self.enterprise_id else None,
        }

    def block_action(
        self,
        action_id: str,
        value: str | None = None,
        *,
        user_id: str,
        channel_id: str | None = None,
        message_ts: str | None = None,
        view: dict | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        block_id: str = "b",
        action_type: str = "button",
        action: dict | None = None,
        message: dict | None = None,
    ) -> dict:
        """A ``block_actions`` payload from a message (channel_id) or a view (view).

        ``action`` adds type-specific fields, e.g. ``{"selected_user": "U1"}``.
        """
        payload = self._base_payload("block_actions", user_id, trigger_id)
        act = {"action_id": action_id, "block_id": block_id, "type": action_type}
        act |= {"action_ts": f"{int(self.clock())}.000001"}
        if value is not None:
            act["value"] = value
        payload["actions"] = [act | (action or {})]
        payload["state"] = {"values": {}}
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "V0TEST")}
            payload["view"] = view
        if channel_id is not None:
            payload |= self._message_context(channel_id, message_ts, message, response_url)
        return payload

    def _message_context(
        self,
        channel_id: str,
        message_ts: str | None,
        message: dict | None,
        response_url: str | None,
    ) -> dict:
        ts = message_ts or (message or {}).get("ts") or f"{int(self.clock())}.000100"
        shown = {"type": "message", "ts": ts, "text": "", "user": BOT_USER_ID, "blocks": []}
        return {
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "channel": _channel(channel_id),
            "message": shown | (message or {}),
            "response_url": response_url or self.new_response_url(),
        }

    def view_submission(
        self,
        callback_id: str,
        state_values: dict,
        *,
        user_id: str,
        private_metadata: str = "",
        view_id: str = "V0TEST",
        trigger_id: str | None = None,
    ) -> dict:
        """A ``view_submission`` payload; leaves may be plain strings (text inputs)."""
        payload = self._base_payload("view_submission", user_id, trigger_id)
        payload["view"] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "title": {"type": "plain_text", "text": "Savedesk"},
            "blocks": [],
            "state": {"values": _state_values(state_values)},
            "hash": f"{int(self.clock())}.abc",
            "root_view_id": view_id,
            "previous_view_id": None,
            "external_id": "",
            "app_id": API_APP_ID,
            "bot_id": "B0BOT",
        }
        payload["response_urls"] = []
        return payload

    def message_shortcut(
        self,
        callback_id: str,
        message: dict,
        *,
        user_id: str,
        channel_id: str,
        response_url: str | None = None,
        trigger_id: str | None = None,
    ) -> dict:
        """A ``message_action`` payload (a message shortcut chosen on ``message``)."""
        payload = self._base_payload("message_action", user_id, trigger_id)
        ts = message.get("ts") or f"{int(self.clock())}.000100"
        payload |= {
            "callback_id": callback_id,
            "action_ts": f"{int(self.clock())}.000001",
            "channel": _channel(channel_id),
            "message_ts": ts,
            "message": {"type": "message", "ts": ts} | message,
            "response_url": response_url or self.new_response_url(),
        }
        return payload

    def block_suggestion(
        self, action_id: str, value: str, *, user_id: str, view: dict, block_id: str = "b"
    ) -> dict:
        """A ``block_suggestion`` payload: the person typed ``value`` in an external select."""
        payload = self._base_payload("block_suggestion", user_id, None)
        del payload["trigger_id"]  # Slack sends none with suggestions
        payload |= {
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "container": {"type": "view", "view_id": view.get("id", "V0TEST")},
            "view": view,
        }
        return payload

    def view_closed(self, view: dict, *, user_id: str) -> dict:
        """A ``view_closed`` payload (sent only for views with ``notify_on_close``)."""
        payload = self._base_payload("view_closed", user_id, None)
        del payload["trigger_id"]
        return payload | {"view": view, "is_cleared": False}

    # -- Events API

    def event(
        self,
        event: dict,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> Response:
        """Deliver ``event`` in an ``event_callback`` envelope; ``retry_num`` marks a redelivery.

        The event is sent as given: pass message text through `slack_message` (or
        `slack_escaped`) to send it as Slack would, escaped.
        """
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            "api_app_id": API_APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._counter):08d}",
            "event_time": int(self.clock()),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": None if self.org_wide else self.team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": self.org_wide,
                }
            ],
            "is_ext_shared_channel": False,
        }
        extra = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self.send_signed(json.dumps(envelope).encode(), "application/json", extra)

    def url_verification(self, challenge: str) -> Response:
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.send_signed(json.dumps(body).encode(), "application/json")
