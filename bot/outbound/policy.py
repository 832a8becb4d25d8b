"""`[[outbound_webhooks]]`: where Savedesk sends its signed events, and which ones.

    [[outbound_webhooks]]
    url = "https://crm-sync.example.com/savedesk"
    secret = "whsec_…"                          # base64 after whsec_, as Standard Webhooks
    events = ["case.opened", "case.status_changed"]   # optional; default: every event

`parse_outbound_webhooks` raises `error(key path, message)` like the rest of the policy file,
so start-up and `check` print one line an operator can act on. Outside `bot.policy` because
that package imports it (see bot/common/policy_keys.py).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.common.policy_keys import at, check_keys, show
from bot.outbound.names import EVENT_TYPES

Error = Callable[[str, str], Exception]
SECRET_PREFIX = "whsec_"
_KEYS = ("url", "secret", "events")
_MIN_SECRET_BYTES = 24
"""Standard Webhooks: secrets between 24 and 64 bytes (before base64)."""
_MAX_SECRET_BYTES = 64


@dataclass(frozen=True)
class OutboundWebhook:
    """One endpoint: its URL, its signing key (the bytes behind `whsec_`) and the event
    types it receives (all of `EVENT_TYPES` when the policy names none)."""

    url: str
    """Where events are POSTed: an https:// (or http://) URL."""
    key: bytes
    """Its signing secret: `whsec_` and 24-64 random bytes in base64 (kept as the bytes)."""
    events: tuple[str, ...] = EVENT_TYPES
    """The event types it receives; leave out for every event."""

    def __repr__(self) -> str:  # the key never reaches a log
        return f"OutboundWebhook(url={self.url!r}, events={self.events!r})"

    def wants(self, event_type: str) -> bool:
        return event_type in self.events

    def describe(self) -> str:
        events = "every event" if self.events == EVENT_TYPES else ", ".join(self.events)
        return f"{self.url} ({events})"


def parse_outbound_webhooks(value: Any, error: Error) -> tuple[OutboundWebhook, ...]:
    """The endpoints in file order; raises `error` naming the first malformed key."""
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise error("outbound_webhooks", "must be a list of tables ([[outbound_webhooks]])")
    found: list[OutboundWebhook] = []
    for i, table in enumerate(value):
        where = f"outbound_webhooks[{i}]"
        check_keys(table, where, _KEYS, error)
        url = _url(table.get("url"), at(where, "url"), error)
        if any(hook.url == url for hook in found):
            raise error(at(where, "url"), f"{show(url)} is listed twice")
        key = _secret(table.get("secret"), at(where, "secret"), error)
        events = _events(table.get("events"), at(where, "events"), error)
        found.append(OutboundWebhook(url=url, key=key, events=events))
    return tuple(found)


def _url(value: Any, where: str, error: Error) -> str:
    if not isinstance(value, str) or not value.strip():
        raise error(where, "required: the endpoint's URL, like https://example.com/savedesk")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise error(where, f"{show(value)} is not an http(s) URL")
    return value.strip()


def _secret(value: Any, where: str, error: Error) -> bytes:
    hint = "a whsec_ secret: whsec_ then 24-64 random bytes in base64"
    if not isinstance(value, str) or not value.startswith(SECRET_PREFIX):
        raise error(where, f"required: {hint}")
    try:
        key = base64.b64decode(value[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise error(where, f"not base64 after whsec_ (use {hint})") from None
    if not _MIN_SECRET_BYTES <= len(key) <= _MAX_SECRET_BYTES:
        raise error(where, f"{len(key)} bytes after whsec_; use {hint}")
    return key


def _events(value: Any, where: str, error: Error) -> tuple[str, ...]:
    if value is None:
        return EVENT_TYPES
    if not isinstance(value, list) or not value or not all(isinstance(e, str) for e in value):
        raise error(where, "must be a non-empty list of event types")
    for event in value:
        if event not in EVENT_TYPES:
            raise error(where, f"unknown event {show(event)} (use {', '.join(EVENT_TYPES)})")
    return tuple(dict.fromkeys(value))
