"""What the stand-in remembers: calls, scripted faults, files, and the message shapes
Slack returns from its chat.* and files.* methods."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0TEST"
TEAM_NAME = "Savedesk Test"
TEAM_DOMAIN = "savedesk-test"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0SAVEDESK"
DEFAULT_FAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}


@dataclass
class Call:
    """One Web API request as the stand-in received it (after decoding)."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    fault: str | None = None  # e.g. "http 429", "channel_not_found", "down"; None if served
    token: str | None = None


@dataclass
class Fault:
    """A scripted failure for the next call of one method (to one channel, if set)."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    channel: str | None = None

    def describe(self) -> str:
        return f"http {self.status}" if self.status != 200 else str(self.error)


@dataclass
class UploadedFile:
    """A file going through files.getUploadURLExternal -> upload -> completeUploadExternal."""

    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    completed: bool = False


@dataclass
class ResponseUrl:
    """A response_url Slack put in a command or action, and where its replies land.

    Slack honours a response_url up to 5 times within 30 minutes
    (https://api.slack.com/interactivity/handling#message_responses).
    """

    url: str
    user: str | None = None
    channel: str | None = None
    message_ts: str | None = None
    issued: float = 0.0
    uses: int = 0
    thread_ts: str | None = None
    """The thread the click was made in: its ephemeral answers show there."""
    ephemeral_ts: str | None = None
    """The ephemeral message last shown through it (a command's acknowledgement, an earlier
    answer): what an answer with `replace_original` replaces when it came from no message."""
    forgotten: bool = False
    """Slack answers 404 for it before its time (`forget_response_url`)."""
    refused: int = 0
    """POSTs Slack refused for it (expired, used up or forgotten)."""


@dataclass
class Trigger:
    """A trigger_id Slack issued with an interaction: valid once, for 3 seconds."""

    trigger_id: str
    user: str | None
    issued: float
    used: bool = False


@dataclass
class HttpReply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    hold: Any = None  # an AnswerHold (demo/standin/holds.py): written once released

    @classmethod
    def of_json(
        cls, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
    ) -> HttpReply:
        return cls(status, json.dumps(data).encode(), headers=headers or {})

    @classmethod
    def of_text(cls, status: int, text: str) -> HttpReply:
        return cls(status, text.encode(), content_type="text/plain; charset=utf-8")


def dm_channel(user_id: str) -> str:
    """A stable DM channel ID per user, so tests can predict it (U0CSM -> D0CSM)."""
    return f"D{user_id[1:]}"


def public_message(message: dict) -> dict:
    """The message object Slack returns from chat.* methods."""
    public = {
        "type": "message",
        "user": message.get("user") or BOT_USER_ID,
        "team": TEAM_ID,
        "ts": message["ts"],
        "text": message["text"],
        "blocks": message["blocks"],
    }
    if public["user"] == BOT_USER_ID:
        public |= {"bot_id": BOT_ID, "app_id": APP_ID}
    if message["attachments"]:
        public["attachments"] = message["attachments"]
    if message["thread_ts"]:
        public["thread_ts"] = message["thread_ts"]
    return public


def file_summary(upload: UploadedFile, base_url: str) -> dict:
    """A file object as files.completeUploadExternal returns it; ``url_private`` is
    served by the stand-in so a page can show an uploaded image."""
    return {
        "id": upload.file_id,
        "name": upload.filename,
        "title": upload.title,
        "size": len(upload.content or b""),
        "user": BOT_USER_ID,
        "url_private": f"{base_url}/files/{upload.file_id}",
        "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{upload.file_id}",
    }
