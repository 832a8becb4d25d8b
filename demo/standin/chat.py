"""chat.*, conversations.open and response_url: messages as Slack stores and shows them.

Ephemeral messages (chat.postEphemeral, a command's acknowledgement, response_url replies)
are kept apart from channel messages, each visible only to the person it was meant for,
as in Slack.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from demo.standin.records import (
    BOT_USER_ID,
    TEAM_DOMAIN,
    HttpReply,
    ResponseUrl,
    dm_channel,
    public_message,
)
from demo.standin.validation import (
    MAX_MESSAGE_BLOCKS,
    Args,
    Reply,
    SlackError,
    as_list,
    block_problems,
    check_message_content,
    check_metadata,
    require,
    with_warnings,
)

RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60


class ChatMethods:
    """Mixin of SlackStandin: messages, DMs, ephemerals and response_url posts."""

    _lock: threading.RLock
    _changed: threading.Condition
    _messages: dict[tuple[str, str], dict]
    _ephemerals: list[dict]
    _response_urls: dict[str, ResponseUrl]
    _responses: list[tuple[str, dict]]
    _mpims: dict[tuple[str, ...], str]
    _users: dict[str, dict]
    strict_users: bool

    if TYPE_CHECKING:

        def _next_ts(self) -> str: ...
        def _next_id(self, prefix: str) -> str: ...
        def _now(self) -> float: ...
        def _bump(self) -> None: ...

    def _resolve_channel(self, channel: str) -> str:
        """Posting to a user ID lands in the DM with that user, as on Slack."""
        return dm_channel(channel) if channel[:1] in ("U", "W") else channel

    def _check_dm(self, user: str, opening: bool = False) -> None:
        """A DM to a person Slack refuses for good: a user ID it does not know (with
        `strict_users`) is channel_not_found to chat.postMessage and user_not_found to
        conversations.open; a bot is cannot_dm_bot; a deactivated member is user_disabled to
        conversations.open only (chat.postMessage to them succeeds, as on Slack)."""
        known = self._users.get(user)
        if known is None:
            if self.strict_users:
                raise SlackError("user_not_found" if opening else "channel_not_found")
            return
        if known.get("is_bot"):
            raise SlackError("cannot_dm_bot")
        if opening and known.get("deleted"):
            raise SlackError("user_disabled")

    def _chat_post_message(self, args: Args) -> Reply:
        require(args, "channel")
        check_message_content(args)
        if str(args["channel"])[:1] in ("U", "W"):
            self._check_dm(str(args["channel"]))
        metadata, warnings = check_metadata(args)
        channel, ts = self._resolve_channel(str(args["channel"])), self._next_ts()
        message = self._store_message(channel, ts, {**args, "metadata": metadata})
        reply = {"channel": channel, "ts": ts, "message": public_message(message)}
        return with_warnings(reply, warnings)

    def _store_message(self, channel: str, ts: str, args: Args, user: str = BOT_USER_ID) -> dict:
        message = {
            "channel": channel,
            "ts": ts,
            "user": user,
            "thread_ts": args.get("thread_ts") or None,
            "text": args.get("text") or "",
            "blocks": args.get("blocks") or [],
            "attachments": args.get("attachments") or [],
            "files": args.get("files") or [],
            "metadata": args.get("metadata"),
            "edited": False,
        }
        self._messages[(channel, ts)] = message
        self._bump()
        return message

    def _find_message(self, channel: str, ts: str) -> dict:
        message = self._messages.get((channel, ts))
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _chat_update(self, args: Args) -> Reply:
        require(args, "channel", "ts")
        check_message_content(args)
        metadata, warnings = check_metadata(args)
        message = self._find_message(str(args["channel"]), str(args["ts"]))
        self._replace_content(message, {**args, "metadata": metadata})
        reply = {
            "channel": message["channel"],
            "ts": message["ts"],
            "text": message["text"],
            "message": public_message(message),
        }
        return with_warnings(reply, warnings)

    def _replace_content(self, message: dict, args: Args) -> None:
        for name in ("text", "blocks", "attachments", "metadata"):
            if name in args and args[name] is not None:
                message[name] = args[name]
        message["edited"] = True
        self._bump()

    def _chat_delete(self, args: Args) -> Reply:
        require(args, "channel", "ts")
        message = self._find_message(str(args["channel"]), str(args["ts"]))
        del self._messages[(message["channel"], message["ts"])]
        self._bump()
        return {"channel": message["channel"], "ts": message["ts"]}

    def _chat_post_ephemeral(self, args: Args) -> Reply:
        require(args, "channel", "user")
        check_message_content(args)
        ts = self._next_ts()
        channel = self._resolve_channel(str(args["channel"]))
        self._add_ephemeral(str(args["user"]), channel, args, ts, "chat.postEphemeral")
        return {"message_ts": ts}

    def _add_ephemeral(
        self,
        user: str,
        channel: str | None,
        body: dict,
        ts: str,
        via: str,
        response_url: str | None = None,
    ) -> None:
        issued = self._response_urls.get(response_url or "")
        if issued is not None:
            issued.ephemeral_ts = ts
        self._ephemerals.append(
            {
                "user": user,
                "channel": channel,
                "ts": ts,
                "thread_ts": body.get("thread_ts") or None,
                "text": body.get("text") or "",
                "blocks": body.get("blocks") or [],
                "via": via,
            }
        )
        self._bump()

    def _chat_get_permalink(self, args: Args) -> Reply:
        require(args, "channel", "message_ts")
        channel, ts = str(args["channel"]), str(args["message_ts"])
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        known = self._messages.get((channel, ts))
        if known and known["thread_ts"] and known["thread_ts"] != ts:
            link += f"?thread_ts={known['thread_ts']}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _conversations_open(self, args: Args) -> Reply:
        users = as_list(args.get("users"))
        if not users and not args.get("channel"):
            raise SlackError("users_list_not_supplied")
        if args.get("channel"):
            return {"channel": {"id": str(args["channel"])}}
        if len(users) == 1:
            self._check_dm(users[0], opening=True)
            return {"channel": {"id": dm_channel(users[0])}}
        key = tuple(sorted(users))
        if key not in self._mpims:
            self._mpims[key] = self._next_id("G")
        return {"channel": {"id": self._mpims[key]}}

    # -- people posting (the demo page plays them)

    def delete_message(self, channel: str, ts: str) -> None:
        """Someone deleted the message in Slack: chat.update of it answers message_not_found."""
        with self._lock:
            self._messages.pop((channel, ts), None)
            self._bump()

    def post_as_user(
        self, user: str, channel: str, text: str, thread_ts: str | None = None
    ) -> dict:
        """Store a message a person wrote, as Slack would show it; returns the message."""
        with self._lock:
            message = self._store_message(
                self._resolve_channel(channel),
                self._next_ts(),
                {"text": text, "thread_ts": thread_ts},
                user=user,
            )
            return public_message(message) | {"channel": message["channel"]}

    def add_ephemeral(
        self,
        user: str,
        channel: str | None,
        body: dict,
        via: str,
        response_url: str | None = None,
    ) -> None:
        """Show ``body`` to ``user`` only, e.g. the text a slash command's ack carried; an
        answer on ``response_url`` (the command's) with `replace_original` replaces it."""
        with self._lock:
            self._add_ephemeral(user, channel, body, self._next_ts(), via, response_url)

    # -- response_url

    def forget_response_url(self, url: str) -> None:
        """Slack answers 404 for `url` from now on, before its 30 minutes are up."""
        with self._lock:
            self._response_urls[url].forgotten = True

    def refused_responses(self, url: str) -> int:
        """How many POSTs to `url` Slack refused (expired, used up or forgotten)."""
        with self._lock:
            return self._response_urls[url].refused

    def _response_post(self, url: str, body: bytes) -> HttpReply:
        try:
            payload = json.loads(body)
        except ValueError:
            return HttpReply.of_text(400, "invalid_payload")
        if not isinstance(payload, dict):
            return HttpReply.of_text(400, "invalid_payload")
        if payload.get("blocks") is not None and block_problems(
            payload["blocks"], MAX_MESSAGE_BLOCKS
        ):
            return HttpReply.of_text(400, "invalid_blocks")
        with self._changed:
            issued = self._response_urls.get(url)
            if issued is None:
                return HttpReply.of_text(404, "expired_url")
            if issued.forgotten or self._now() - issued.issued > RESPONSE_URL_SECONDS:
                issued.refused += 1
                return HttpReply.of_text(404, "expired_url")
            if issued.uses >= RESPONSE_URL_USES:
                issued.refused += 1
                return HttpReply.of_text(404, "used_url")
            issued.uses += 1
            self._responses.append((url, payload))
            self._apply_response(issued, payload)
            self._changed.notify_all()
        return HttpReply.of_text(200, "ok")

    def _apply_response(self, issued: ResponseUrl, payload: dict[str, Any]) -> None:
        """Show a response_url post where Slack would: replacing or deleting the message
        the action came from (or, for a command, the ephemeral message shown through the
        URL before: its acknowledgement or an earlier answer), in the channel for everyone,
        or to the person only."""
        original = self._messages.get((issued.channel or "", issued.message_ts or ""))
        shown = self._shown_ephemeral(issued) if original is None else None
        if payload.get("delete_original") and original is not None:
            del self._messages[(original["channel"], original["ts"])]
            self._bump()
        elif payload.get("replace_original") and original is not None:
            self._replace_content(original, payload)
        elif payload.get("replace_original") and shown is not None:
            shown["text"] = payload.get("text") or ""
            shown["blocks"] = payload.get("blocks") or []
            self._bump()
        elif payload.get("response_type") == "in_channel" and issued.channel:
            self._store_message(issued.channel, self._next_ts(), payload)
        elif issued.user and (payload.get("text") or payload.get("blocks")):
            reply = original is not None and original.get("thread_ts") not in (None, original["ts"])
            thread = issued.thread_ts or (original["thread_ts"] if reply else None)
            body = {**payload, "thread_ts": thread} if thread else payload
            ts = self._next_ts()
            self._add_ephemeral(issued.user, issued.channel, body, ts, "response_url", issued.url)

    def _shown_ephemeral(self, issued: ResponseUrl) -> dict | None:
        """The ephemeral message last shown through ``issued``, if its person still has it."""
        for ephemeral in self._ephemerals:
            if ephemeral["ts"] == issued.ephemeral_ts and ephemeral["user"] == issued.user:
                return ephemeral
        return None
