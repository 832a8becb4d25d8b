"""What Slack refuses, checked the way Slack checks it: required arguments, tokens,
Block Kit (parsed and validated by slack_sdk's own models), and Slack's size limits.

Limits come from Slack's docs: 50 blocks per message, 100 per view, 40,000 characters of
message text (https://api.slack.com/reference/block-kit/blocks, chat.postMessage).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from datetime import datetime
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT_LENGTH = 40_000
TOKEN_PREFIXES = ("xoxb-", "xapp-", "xoxe.xoxb-", "xwfp-")  # bot, app, rotating bot, step
# Arguments that WebClient (or the bot) may send as JSON strings inside form bodies.
# Message metadata's event_type: letters, digits, underscores and hyphens
# (https://docs.slack.dev/messaging/message-metadata).
EVENT_TYPE = re.compile(r"[A-Za-z0-9_-]+")
JSON_ARGS = frozenset({"blocks", "attachments", "view", "files", "metadata", "unfurls", "outputs"})

Args = dict[str, Any]
Reply = dict[str, Any]


class SlackError(Exception):
    """Raised by method handlers; becomes ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, messages: Iterable[str] = (), **fields: str) -> None:
        """`fields`: more top-level keys of the answer (missing_scope's `needed`)."""
        super().__init__(error)
        self.error = error
        self.messages = list(messages)
        self.fields = fields

    def body(self) -> Reply:
        body: Reply = {"ok": False, "error": self.error, **self.fields}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


def require(args: Args, *names: str) -> None:
    """Refuse a call that lacks a required argument, naming each one as Slack does."""
    missing = [name for name in names if args.get(name) in (None, "", [])]
    if missing:
        raise SlackError(
            "invalid_arguments", [f"[ERROR] missing required field: {name}" for name in missing]
        )


def _block_problem(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return "each block must be an object"
    try:
        block = Block.parse(raw)
        if block is None:
            return f"unsupported block type: {raw.get('type')!r}"
        block.validate_json()
    except Exception as exc:  # any parse/validation failure means Slack would refuse it
        return f"{type(exc).__name__}: {exc}"
    return None


def block_problems(blocks: Any, limit: int) -> list[str]:
    """Why Slack would refuse these blocks (empty list if it would accept them)."""
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    if len(blocks) > limit:
        return [f"no more than {limit} items allowed [json-pointer:/blocks]"]
    problems, seen_ids = [], set()
    for index, raw in enumerate(blocks):
        problem = _block_problem(raw)
        block_id = raw.get("block_id") if isinstance(raw, dict) else None
        if problem is None and block_id is not None and block_id in seen_ids:
            problem = f"duplicate block_id {block_id!r}"
        seen_ids.add(block_id)
        if problem:
            problems.append(f"[ERROR] {problem} [json-pointer:/blocks/{index}]")
    return problems


def view_problems(view: Any) -> list[str]:
    """Why Slack would refuse this view (empty list if it would accept it)."""
    if not isinstance(view, dict):
        return ["[ERROR] view must be an object"]
    problems = []
    try:
        View(**view).validate_json()
    except Exception as exc:
        problems.append(f"[ERROR] {exc}")
    if view.get("type") == "modal" and not view.get("title"):
        problems.append("[ERROR] missing required field: title [json-pointer:/view]")
    blocks = view.get("blocks", [])
    problems += block_problems(blocks, MAX_VIEW_BLOCKS) if isinstance(blocks, list) else []
    return problems


def check_blocks(args: Args) -> None:
    if "blocks" in args and args["blocks"] is not None:
        problems = block_problems(args["blocks"], MAX_MESSAGE_BLOCKS)
        if problems:
            raise SlackError("invalid_blocks", problems)


def check_view(view: Any) -> dict:
    """The view itself if Slack would accept it; ``invalid_arguments`` otherwise."""
    problems = view_problems(view)
    if problems:
        raise SlackError("invalid_arguments", problems)
    return view


def check_message_content(args: Args) -> None:
    """A message needs text, blocks or attachments, within Slack's limits."""
    if not any(args.get(name) for name in ("text", "blocks", "attachments")):
        raise SlackError("no_text")
    if len(str(args.get("text") or "")) > MAX_TEXT_LENGTH:
        raise SlackError("msg_too_long")
    check_blocks(args)


def check_metadata(args: Args) -> tuple[dict | None, list[str]]:
    """The message metadata Slack keeps, and its warnings: metadata must be an object with
    an `event_type` string and an `event_payload` object (else invalid_metadata_format);
    an `event_type` of other characters is dropped with the warning
    invalid_metadata_schema, the message still posted
    (https://docs.slack.dev/messaging/message-metadata)."""
    raw = args.get("metadata")
    if raw in (None, ""):
        return None, []
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("event_type"), str)
        or not isinstance(raw.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    if not EVENT_TYPE.fullmatch(raw["event_type"]):
        return None, ["invalid_metadata_schema"]
    return {"event_type": raw["event_type"], "event_payload": raw["event_payload"]}, []


def with_warnings(reply: Reply, warnings: list[str]) -> Reply:
    """A successful answer carrying Slack's warnings (`warning` and
    `response_metadata.warnings`), if any."""
    if warnings:
        reply["warning"] = ",".join(warnings)
        reply["response_metadata"] = {"warnings": warnings}
    return reply


def check_token(token: str | None) -> None:
    if not token:
        raise SlackError("not_authed")
    if not token.startswith(TOKEN_PREFIXES):
        raise SlackError("invalid_auth")


# ------------------------------------------------------------------------------- parsing


def _decode_json_args(args: Args) -> Args:
    for name in JSON_ARGS & args.keys():
        if isinstance(args[name], str) and args[name]:
            # Undecodable values stay strings; validation then refuses them as Slack would.
            with contextlib.suppress(ValueError):
                args[name] = json.loads(args[name])
    return args


def parse_args(query: str, content_type: str, body: bytes) -> Args:
    """Arguments from the query string and a form or JSON body, as Slack accepts both."""
    args: Args = dict(parse_qsl(query, keep_blank_values=True))
    if body and content_type.startswith("application/json"):
        try:
            decoded = json.loads(body)
        except ValueError as exc:
            raise SlackError("invalid_json") from exc
        if not isinstance(decoded, dict):
            raise SlackError("invalid_json")
        args.update(decoded)
    elif body:
        args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return _decode_json_args(args)


def bearer_token(headers: Message) -> str | None:
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def as_list(value: Any) -> list[str]:
    """A comma-separated string or a list, as Slack accepts both for ID lists."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def tz_offset(tz: str) -> int:
    """Seconds east of UTC right now in ``tz`` (Slack's ``tz_offset``)."""
    offset = datetime.now(ZoneInfo(tz)).utcoffset()
    return int(offset.total_seconds()) if offset else 0
