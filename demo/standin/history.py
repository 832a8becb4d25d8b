"""conversations.history and conversations.replies: reading a channel or a thread back, as
Slack answers them, with message metadata only when asked for (`include_all_metadata`).

- history: a channel's messages, newest first, without thread replies; `oldest`/`latest`
  bound the ts (exclusive unless `inclusive`), `limit` (default 100, at most 999) and
  `cursor` page through them (https://api.slack.com/methods/conversations.history).
- replies: a thread, its parent first and then its replies oldest first, within the same
  bounds and pages (default and most 1000 a page); a ts that is no message answers
  thread_not_found (https://api.slack.com/methods/conversations.replies).

A page ends where `limit` says, `has_more` says another follows, and its `next_cursor`
(opaque base64, as Slack's) continues after the last message shown, so messages posted
meanwhile neither repeat nor shift a page; a cursor the stand-in did not issue answers
invalid_cursor.
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from demo.standin.records import public_message
from demo.standin.validation import Args, Reply, SlackError, require, truthy

HISTORY_LIMITS = (100, 999)  # default, most
REPLIES_LIMITS = (1000, 1000)


class HistoryMethods:
    """Mixin of SlackStandin: reading messages back."""

    _messages: dict[tuple[str, str], dict]

    if TYPE_CHECKING:

        def _channel_error(self, channel: str) -> str | None: ...

    def _conversations_history(self, args: Args) -> Reply:
        require(args, "channel")
        channel = self._readable(str(args["channel"]))
        roots = [
            m
            for m in self._messages.values()
            if m["channel"] == channel and m["thread_ts"] in (None, m["ts"])
        ]
        found = _within(roots, args)
        found.sort(key=lambda m: Decimal(m["ts"]), reverse=True)
        page, more, cursor = _page(found, args, HISTORY_LIMITS, newest_first=True)
        messages = [self._shown(m, args) for m in page]
        return {
            "messages": messages,
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_replies(self, args: Args) -> Reply:
        require(args, "channel", "ts")
        channel = self._readable(str(args["channel"]))
        parent = self._messages.get((channel, str(args["ts"])))
        if parent is None:
            raise SlackError("thread_not_found")
        thread_ts = parent["thread_ts"] or parent["ts"]
        replies = [
            m
            for m in self._messages.values()
            if m["channel"] == channel and m["thread_ts"] == thread_ts and m["ts"] != thread_ts
        ]
        found = sorted(_within(replies, args), key=lambda m: Decimal(m["ts"]))
        page, more, cursor = _page(found, args, REPLIES_LIMITS, newest_first=False)
        head = self._messages.get((channel, thread_ts), parent)
        messages = [self._shown(m, args) for m in [head, *page]]
        return {
            "messages": messages,
            "has_more": more,
            "response_metadata": {"next_cursor": cursor},
        }

    def _readable(self, channel: str) -> str:
        """The channel if the app may read it: a channel gone, or private without the app,
        is channel_not_found; a public one without the app, not_in_channel."""
        error = self._channel_error(channel)
        if error in ("channel_not_found", "not_in_channel"):
            raise SlackError(error)
        return channel

    def _shown(self, message: dict, args: Args) -> dict:
        shown = public_message(message)
        replies = [
            m
            for m in self._messages.values()
            if m["channel"] == message["channel"]
            and m["thread_ts"] == message["ts"]
            and m["ts"] != message["ts"]
        ]
        if replies:
            shown["thread_ts"] = message["ts"]
            shown["reply_count"] = len(replies)
            shown["latest_reply"] = max((m["ts"] for m in replies), key=Decimal)
        if message.get("metadata") and truthy(args.get("include_all_metadata")):
            shown["metadata"] = message["metadata"]
        return shown


def _bound(args: Args, name: str, error: str) -> Decimal | None:
    value = args.get(name)
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise SlackError(error) from exc


def _within(messages: list[dict], args: Args) -> list[dict]:
    """The messages whose ts lies between `oldest` and `latest` (exclusive unless
    `inclusive`)."""
    oldest = _bound(args, "oldest", "invalid_ts_oldest")
    latest = _bound(args, "latest", "invalid_ts_latest")
    inclusive = truthy(args.get("inclusive"))

    def inside(message: dict) -> bool:
        ts = Decimal(message["ts"])
        if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
            return False
        return latest is None or ts < latest or (ts == latest and inclusive)

    return [m for m in messages if inside(m)]


def _page(
    found: list[dict], args: Args, limits: tuple[int, int], *, newest_first: bool
) -> tuple[list[dict], bool, str]:
    """One page of `found` (sorted) after the cursor: (messages, has_more, next_cursor)."""
    default, most = limits
    try:
        limit = int(args.get("limit") or default)
    except ValueError as exc:
        raise SlackError("invalid_limit") from exc
    limit = min(max(limit, 1), most)
    after = _cursor_ts(args.get("cursor"))
    if after is not None:
        found = [
            m
            for m in found
            if (Decimal(m["ts"]) < after if newest_first else Decimal(m["ts"]) > after)
        ]
    page, more = found[:limit], len(found) > limit
    cursor = base64.b64encode(f"next_ts:{page[-1]['ts']}".encode()).decode() if more else ""
    return page, more, cursor


def _cursor_ts(cursor: object) -> Decimal | None:
    if not cursor:
        return None
    try:
        name, _, ts = base64.b64decode(str(cursor), validate=True).decode().partition(":")
        if name == "next_ts":
            return Decimal(ts)
    except (binascii.Error, UnicodeDecodeError, InvalidOperation):
        pass
    raise SlackError("invalid_cursor")
