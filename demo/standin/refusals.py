"""Refusals the stand-in can be told to give, lasting until told otherwise, as Slack gives
them: a revoked or expired token for every call, channels archived, gone, or without the
app in them (and `conversations.join` for the public ones), and Slack's pace for posts in
one channel (about one a second, short bursts allowed) answered with 429 and Retry-After.

Error codes and their meaning are Slack's (https://api.slack.com/methods/chat.postMessage
#errors, https://api.slack.com/methods/conversations.join#errors,
https://api.slack.com/apis/rate-limits).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from demo.standin.records import DEFAULT_FAULT_ERRORS, Call, Fault, HttpReply
from demo.standin.validation import Args, Reply, SlackError, require

# Methods that write into a channel, and the argument naming it.
CHANNEL_METHODS = {
    "chat.postMessage": "channel",
    "chat.update": "channel",
    "chat.postEphemeral": "channel",
    "files.completeUploadExternal": "channel_id",
}
PACED = ("chat.postMessage",)


class RefusalMethods:
    """Mixin of SlackStandin: lasting refusals, and `conversations.join`.

    ``strict_channels``: a channel (`C…`, `G…`) never registered with ``add_channel`` (nor
    opened as a group DM) does not exist: channel_not_found, as at Slack. Off by default
    (tests name channels freely); the stand-in started alone (`python -m demo.standin`)
    turns it on."""

    _lock: threading.RLock
    _now: Callable[[], float]
    _channels: dict[str, dict]
    _mpims: dict[tuple[str, ...], str]
    strict_channels: bool = False

    if TYPE_CHECKING:

        def _resolve_channel(self, channel: str) -> str: ...

    def _reset_refusals(self) -> None:
        self._token_error: str | None = None
        self._archived: set[str] = set()
        self._gone: set[str] = set()
        self._outside: dict[str, bool] = {}  # channel the app is not in -> is it private
        self._post_limit: tuple[float, int] | None = None
        self._buckets: dict[str, tuple[float, float]] = {}

    # -- scripting -------------------------------------------------------------------------

    def refuse_token(self, error: str | None = "token_revoked") -> None:
        """Every Web API call answers `error` (e.g. invalid_auth, token_revoked,
        account_inactive) until called with None."""
        with self._lock:
            self._token_error = error

    def archive_channel(self, channel: str, archived: bool = True) -> None:
        """Posts and edits in `channel` answer is_archived (False: unarchived again)."""
        with self._lock:
            (self._archived.add if archived else self._archived.discard)(channel)

    def remove_channel(self, channel: str, gone: bool = True) -> None:
        """`channel` no longer exists: channel_not_found (False: it is back)."""
        with self._lock:
            (self._gone.add if gone else self._gone.discard)(channel)

    def remove_app(self, channel: str, *, private: bool = False) -> None:
        """The app is not in `channel`: a public one answers not_in_channel and may be
        joined; a private one is invisible to the app (channel_not_found)."""
        with self._lock:
            self._outside[channel] = private

    def add_app(self, channel: str) -> None:
        """Someone added the app to `channel` (what member_joined_channel announces)."""
        with self._lock:
            self._outside.pop(channel, None)

    def limit_posts(self, interval: float | None = 1.0, burst: int = 4) -> None:
        """Refuse chat.postMessage with 429 beyond `burst` posts, refilled one per `interval`
        seconds, per channel (None: no limit, the default)."""
        with self._lock:
            self._post_limit = None if interval is None else (interval, burst)
            self._buckets.clear()

    # -- answering -------------------------------------------------------------------------

    def _lasting_refusal(self, method: str, args: Args) -> HttpReply | None:
        """The refusal this call gets from the scripted state, or None (served)."""
        if self._token_error:
            return HttpReply.of_json(200, {"ok": False, "error": self._token_error})
        name = CHANNEL_METHODS.get(method)
        if name is None or not args.get(name):
            return None
        channel = self._resolve_channel(str(args[name]))
        error = self._channel_error(channel)
        if error:
            return HttpReply.of_json(200, {"ok": False, "error": error})
        if method in PACED:
            return self._over_pace(channel)
        return None

    def _channel_error(self, channel: str) -> str | None:
        if channel in self._gone or self._unknown_channel(channel):
            return "channel_not_found"
        if channel in self._outside:
            return "channel_not_found" if self._outside[channel] else "not_in_channel"
        if channel in self._archived:
            return "is_archived"
        return None

    def _unknown_channel(self, channel: str) -> bool:
        """With ``strict_channels``, a channel the workspace does not have (DMs are the
        people's: `_check_dm` answers for them)."""
        return (
            self.strict_channels
            and channel[:1] in ("C", "G")
            and channel not in self._channels
            and channel not in self._mpims.values()
        )

    def _fault_reply(self, call: Call, fault: Fault) -> HttpReply:
        call.fault = fault.describe()
        error = fault.error or DEFAULT_FAULT_ERRORS.get(fault.status, "fatal_error")
        headers = {}
        if fault.status == 429:
            headers["Retry-After"] = str(1 if fault.retry_after is None else fault.retry_after)
        return HttpReply.of_json(fault.status, {"ok": False, "error": error}, headers)

    def _over_pace(self, channel: str) -> HttpReply | None:
        if self._post_limit is None:
            return None
        interval, burst = self._post_limit
        now = self._now()
        tokens, at = self._buckets.get(channel, (float(burst), now))
        tokens = min(float(burst), tokens + (now - at) / interval)
        if tokens < 1:
            self._buckets[channel] = (tokens, now)
            wait = max(1, math.ceil((1 - tokens) * interval))
            body = {"ok": False, "error": "ratelimited"}
            return HttpReply.of_json(429, body, {"Retry-After": str(wait)})
        self._buckets[channel] = (tokens - 1, now)
        return None

    def _conversations_join(self, args: Args) -> Reply:
        require(args, "channel")
        channel = str(args["channel"])
        if channel in self._gone or self._outside.get(channel) or self._unknown_channel(channel):
            raise SlackError("channel_not_found")
        if channel[:1] not in ("C", "G"):
            raise SlackError("method_not_supported_for_channel_type")
        if channel in self._archived:
            raise SlackError("is_archived")
        self._outside.pop(channel, None)
        return {"channel": {"id": channel, "is_channel": True, "is_member": True}}
