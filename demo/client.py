"""The Slack client side of the demo: what Slack does when a person types or clicks.

Every intent from the page becomes the request Slack would send to Savedesk's real
`/slack/events` (signed with the signing secret, shaped as Slack shapes it), with trigger
ids and response_urls issued by the stand-in; what Savedesk answers in the HTTP body (a
command's acknowledgement, a view submission's ``response_action``, suggestion options)
is applied the way Slack applies it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from demo.standin import SlackStandin, dm_channel
from demo.standin.sender import Response, SlackSender

SHORTCUT_CALLBACK = "open_churn_case"  # manifest.yml: shortcuts[].callback_id
ACK_SECONDS = 3.0  # Slack gives up on an unacknowledged request after 3 seconds
MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


@lru_cache(maxsize=1)
def app_commands(manifest: Path = MANIFEST) -> frozenset[str]:
    """The slash commands the app registers (manifest.yml: features.slash_commands)."""
    text = manifest.read_text(encoding="utf-8")
    return frozenset(re.findall(r"^\s*- command:\s*(/\S+)", text, re.MULTILINE))


def not_a_command(command: str) -> dict[str, str]:
    """What Slack shows, from Slackbot and to the typist only, for a command no app in the
    workspace registered; nothing is sent to any app."""
    return {
        "text": f"{command} is not a valid command. In Slack, all messages that start with "
        'the "/" character are interpreted as commands.\n\nIf you are trying to send a '
        'message and not run a command, try preceding the "/" with an empty space.'
    }


class SlackRefused(RuntimeError):
    """Savedesk answered a request with an HTTP error; the message says which."""


def escape(text: str) -> str:
    """Slack sends typed text with `&`, `<` and `>` escaped
    (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json_body(response: Response) -> dict | None:
    if response.status >= 400:
        raise SlackRefused(f"Savedesk answered HTTP {response.status}: {response.text[:200]}")
    if not response.body.strip():
        return None
    try:
        body = json.loads(response.body)
    except ValueError:
        return {"text": response.text}
    return body if isinstance(body, dict) else None


class SlackClientSide:
    """Plays a person's Slack client against Savedesk, recording each request it sends."""

    def __init__(self, standin: SlackStandin, sender: SlackSender) -> None:
        self.standin = standin
        self.sender = sender
        self._lock = threading.Lock()
        self._inbound: list[dict[str, Any]] = []

    def inbound(self) -> list[dict[str, Any]]:
        """What was sent to Savedesk on people's behalf (for the guided story)."""
        with self._lock:
            return list(self._inbound)

    def note(self, kind: str, user: str, **fields: Any) -> None:
        with self._lock:
            self._inbound.append({"kind": kind, "user": user, "at": time.time(), **fields})

    # -- typing

    def command(self, user: str, channel: str, text: str) -> None:
        """`/churn <text>` typed in ``channel``: the ack is shown to ``user`` only."""
        command, _, rest = text.strip().partition(" ")
        if command not in app_commands():
            self.standin.add_ephemeral(user, channel, not_a_command(command), "slack")
            return
        self.note("command", user, command=command, text=rest.strip(), channel=channel)
        started = time.monotonic()
        response_url = self.standin.new_response_url(user, channel)
        response = self.sender.slash_command(
            escape(rest.strip()),
            command=command,
            user_id=user,
            channel_id=channel,
            response_url=response_url,
            trigger_id=self.standin.new_trigger_id(user),
        )
        if time.monotonic() - started > ACK_SECONDS:  # what Slack shows, whatever came later
            failed = {"text": f'{command} failed with the error "operation_timeout"'}
            self.standin.add_ephemeral(user, channel, failed, "slack")
            return
        body = _json_body(response)
        if body and body.get("response_type") == "in_channel":
            self.standin.post_as_user(user, channel, escape(text))
        if body and (body.get("text") or body.get("blocks")):
            self.standin.add_ephemeral(user, channel, body, "command", response_url)

    def message(self, user: str, channel: str, text: str, thread_ts: str | None = None) -> None:
        """A plain message: stored as Slack stores it, then sent as a `message` event."""
        escaped = escape(text)
        posted = self.standin.post_as_user(user, channel, escaped, thread_ts)
        self.note("message", user, channel=posted["channel"], text=text)
        event = {
            "type": "message",
            "channel": posted["channel"],
            "user": user,
            "text": escaped,
            "ts": posted["ts"],
            "event_ts": posted["ts"],
            "channel_type": "im" if posted["channel"].startswith("D") else "channel",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        _json_body(self.sender.event(event))

    # -- clicking

    def message_action(
        self, user: str, channel: str, ts: str, action: dict, thread_ts: str | None = None
    ) -> None:
        """A button or menu on a message: a `block_actions` payload with a response_url
        (its ephemeral answers land in the thread `thread_ts` when clicked in one)."""
        message = next(
            (m for m in self.standin.messages(channel) if m["ts"] == ts),
            {"ts": ts, "text": "", "blocks": []},
        )
        self.note("action", user, action_id=action.get("action_id"), channel=channel)
        payload = self.sender.block_action(
            str(action["action_id"]),
            action.get("value"),
            user_id=user,
            channel_id=channel,
            message_ts=ts,
            message={k: message[k] for k in ("ts", "text", "blocks") if k in message},
            response_url=self.standin.new_response_url(user, channel, ts, thread_ts),
            trigger_id=self.standin.new_trigger_id(user),
            block_id=str(action.get("block_id") or "b"),
            action_type=str(action.get("type") or "button"),
            action=action.get("extra") or {},
        )
        _json_body(self.sender.interactive(payload))

    def view_action(self, user: str, view_id: str, action: dict, values: dict) -> None:
        """A button, select or picker inside a modal or the App Home tab."""
        self.standin.set_view_state(view_id, values)
        view = self._view(view_id)
        self.note("action", user, action_id=action.get("action_id"), view=view.get("callback_id"))
        payload = self.sender.block_action(
            str(action["action_id"]),
            action.get("value"),
            user_id=user,
            view=view,
            trigger_id=self.standin.new_trigger_id(user),
            block_id=str(action.get("block_id") or "b"),
            action_type=str(action.get("type") or "button"),
            action=action.get("extra") or {},
        )
        payload["state"] = {"values": values}
        _json_body(self.sender.interactive(payload))

    def submit(self, user: str, view_id: str, values: dict) -> dict | None:
        """Submit a modal; Savedesk's ``response_action`` is applied as Slack applies it."""
        self.standin.set_view_state(view_id, values)
        view = self._view(view_id)
        self.note("submission", user, callback_id=view.get("callback_id"))
        payload = self.sender.view_submission(
            view.get("callback_id", ""),
            values,
            user_id=user,
            private_metadata=view.get("private_metadata", ""),
            view_id=view_id,
            trigger_id=self.standin.new_trigger_id(user),
        )
        payload["view"] = view
        answer = _json_body(self.sender.interactive(payload))
        self.standin.answer_submission(user, view_id, answer)
        return answer

    def close(self, user: str, view_id: str) -> None:
        view = self._view(view_id)
        self.standin.close_view(user, view_id)
        if view.get("notify_on_close"):
            _json_body(self.sender.interactive(self.sender.view_closed(view, user_id=user)))

    def suggest(self, user: str, view_id: str, action_id: str, block_id: str, value: str) -> list:
        """Type-ahead in an external select: Savedesk answers with options."""
        view = self._view(view_id)
        self.note("suggestion", user, action_id=action_id)
        payload = self.sender.block_suggestion(
            action_id, value, user_id=user, view=view, block_id=block_id
        )
        body = _json_body(self.sender.interactive(payload)) or {}
        return body.get("options") or body.get("option_groups") or []

    def shortcut(self, user: str, channel: str, ts: str) -> None:
        """The message shortcut "Open churn case", chosen from a message's menu."""
        message = next((m for m in self.standin.messages(channel) if m["ts"] == ts), None)
        if message is None:
            raise SlackRefused("that message is gone")
        self.note("shortcut", user, channel=channel)
        shown = {k: message[k] for k in ("ts", "text", "user", "blocks")}
        payload = self.sender.message_shortcut(
            SHORTCUT_CALLBACK,
            shown,
            user_id=user,
            channel_id=channel,
            response_url=self.standin.new_response_url(user, channel),
            trigger_id=self.standin.new_trigger_id(user),
        )
        _json_body(self.sender.interactive(payload))

    def open_home(self, user: str) -> None:
        """The person opened the app's Home tab: an `app_home_opened` event."""
        self.note("home", user)
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": dm_channel(user),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        if home := self.standin.home_view(user):
            event["view"] = home
        _json_body(self.sender.event(event))

    def _view(self, view_id: str) -> dict:
        view = next((v for v in self.standin.views() if v["id"] == view_id), None)
        if view is None:
            raise SlackRefused("that view is closed")
        return view
