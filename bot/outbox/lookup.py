"""Exactly once across a crash: each post carries its outbox row in Slack message metadata,
and a post whose outcome is unknown is looked for in Slack before it goes again.

A deliverer can die (kill -9, OOM, a host restart) after Slack accepted chat.postMessage
but before the row was marked sent; another deliverer takes the row over once its lease
runs out. Such a row is in doubt (`in_doubt_since`, storage/outbox.py): before posting it
again, the courier reads the channel (conversations.history) or the thread
(conversations.replies) from a little before the first doubtful attempt began, with
`include_all_metadata`, for a message whose metadata names the row. Found: it is recorded
as sent with that message's ts. Not found: it is posted. Only rows in doubt pay for the
read; every other post goes straight out.

Only chat.postMessage can be looked up. Edits (chat.update) are the same whatever times
they are applied. response_url answers, ephemeral messages and views cannot be read back
(Slack offers no way to), so they are at least once: after a crash at that very moment one
may be shown twice (README, "What survives what").

Slack's docs: message metadata (https://docs.slack.dev/messaging/message-metadata),
conversations.history and conversations.replies (their `oldest`, `limit`, `cursor` and
`include_all_metadata` arguments; scopes channels:history, groups:history, im:history).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.ports import SlackTransport

log = logging.getLogger(__name__)

EVENT_TYPE = "savedesk_outbox"
LOOKUP_METHOD = "chat.postMessage"
# How long before the doubtful attempt began the read starts: covers a clock of this
# process behind Slack's (a message's ts is Slack's time).
CLOCK_MARGIN = timedelta(minutes=2)
PAGE = 200  # messages per read
MAX_PAGES = 10  # then the read gives up: the message is posted (at least once)


def tag(args: dict[str, Any], row_id: int) -> dict[str, Any]:
    """`args` of a chat.postMessage with the metadata naming its outbox row."""
    return {**args, "metadata": {"event_type": EVENT_TYPE, "event_payload": {"row": row_id}}}


def names_row(message: Mapping[str, Any], row_id: int) -> bool:
    """Whether a message read back from Slack is the post of outbox row `row_id`."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == EVENT_TYPE and payload.get("row") == row_id


@dataclass(frozen=True)
class Found:
    """The earlier post of a row in doubt: where Slack keeps it."""

    channel: str
    ts: str


class TooMuchHistory(Exception):
    """More than `MAX_PAGES` pages since the doubtful attempt: the search gives up."""


def find(slack: SlackTransport, args: dict[str, Any], row_id: int, since: datetime) -> Found | None:
    """The message a doubtful attempt of row `row_id` posted with these call `args`
    (`channel`, and `thread_ts` for a reply), looked for from `since` (UTC, when the
    attempt began) minus `CLOCK_MARGIN`; None if Slack has none. Raises SlackError or
    OSError when Slack cannot be read, TooMuchHistory past `MAX_PAGES` pages."""
    channel = _conversation(slack, str(args["channel"]))
    oldest = f"{(since - CLOCK_MARGIN).timestamp():.6f}"
    query: dict[str, Any] = {
        "channel": channel,
        "oldest": oldest,
        "include_all_metadata": True,
        "limit": PAGE,
    }
    method = "conversations.history"
    if args.get("thread_ts"):
        method, query["ts"] = "conversations.replies", args["thread_ts"]
    for _ in range(MAX_PAGES):
        answer = slack.read(method, query)
        for message in answer.get("messages") or []:
            if names_row(message, row_id):
                return Found(channel, str(message["ts"]))
        cursor = (answer.get("response_metadata") or {}).get("next_cursor")
        if not answer.get("has_more") or not cursor:
            return None
        query["cursor"] = cursor
    raise TooMuchHistory(f"more than {MAX_PAGES * PAGE} messages in {channel} since {oldest}")


def _conversation(slack: SlackTransport, channel: str) -> str:
    """The conversation a post to `channel` lands in: a user ID posts in the app's DM with
    that person (conversations.open finds it)."""
    if channel[:1] not in ("U", "W"):
        return channel
    answer = slack.call("conversations.open", {"users": channel})
    return str(answer["channel"]["id"])
