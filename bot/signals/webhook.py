"""The signals webhook (`POST /webhooks/signals`): signature check and body parsing.

A body we cannot accept raises `BadSignal("<field>: <what is wrong>")`, which the handler
answers with 400 naming the field (docs/webhooks.md, *Signals webhook*). Dedupe key of an accepted
signal: `(f"signals:{source}", external_id)`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.policy import KINDS

WEBHOOK_PREFIX = "signals:"
MAX_SKEW = timedelta(minutes=5)
MAX_BODY_BYTES = 1_000_000
MAX_ARR = Decimal("999999999999")  # the column is NUMERIC(14, 2)
LIMITS = {"account": 200, "external_id": 255, "source": 64 - len(WEBHOOK_PREFIX)}
REQUIRED = ("account", "kind", "summary", "external_id")
OPTIONAL = ("source", "occurred_at", "arr", "details")


class BadSignal(ValueError):
    """A webhook body we cannot accept; the message is `<field>: <what is wrong>`."""


# -- the webhook ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookSignal:
    """A validated `/webhooks/signals` body."""

    account: str
    kind: str
    summary: str
    external_id: str
    source: str = "signals"
    occurred_at: datetime | None = None
    arr: Decimal | None = None
    details: dict[str, Any] = field(default_factory=dict)


def verify_request(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> str | None:
    """Why the request is not from someone holding the secret (None: it is).

    Slack's scheme, so senders can reuse their code: v0 HMAC-SHA256 over `v0:{ts}:{body}`,
    and a timestamp within 5 minutes either way so a captured request cannot be replayed.
    """
    if not timestamp or not signature:
        return "missing X-Savedesk-Request-Timestamp or X-Savedesk-Signature"
    try:
        sent = int(timestamp.strip())
    except ValueError:
        return "X-Savedesk-Request-Timestamp is not a Unix time in seconds"
    if abs(now.timestamp() - sent) > MAX_SKEW.total_seconds():
        return "X-Savedesk-Request-Timestamp is more than 5 minutes away from now"
    base = f"v0:{sent}:".encode() + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        return "X-Savedesk-Signature does not match"
    return None


def parse_webhook(body: bytes) -> WebhookSignal:
    """Validate a body; raises BadSignal naming the first field that is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise BadSignal(f"body: larger than {MAX_BODY_BYTES} bytes")
    data = _json_object(body)
    unknown = sorted(k for k in data if k not in REQUIRED + OPTIONAL)
    if unknown:
        allowed = ", ".join(REQUIRED + OPTIONAL)
        plural = "s" if len(unknown) > 1 else ""
        raise BadSignal(f"{', '.join(unknown)}: unknown field{plural} (use {allowed})")
    for name in REQUIRED:
        if name not in data:
            raise BadSignal(f"{name}: missing")
    kind = _text(data, "kind")
    if kind not in KINDS:
        raise BadSignal(f"kind: {json.dumps(kind)} is not a kind (use {', '.join(KINDS)})")
    return WebhookSignal(
        account=_text(data, "account"),
        kind=kind,
        summary=_text(data, "summary"),
        external_id=_text(data, "external_id"),
        source=_text(data, "source") if "source" in data else "signals",
        occurred_at=_moment(data.get("occurred_at")),
        arr=_amount(data.get("arr")),
        details=_details(data.get("details")),
    )


def _json_object(body: bytes) -> dict[str, Any]:
    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        data = json.loads(body, parse_constant=no_constants)
    except RecursionError:
        raise BadSignal("body: nested too deeply") from None
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BadSignal(f"body: not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise BadSignal("body: expected a JSON object")
    return data


def _text(data: dict[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise BadSignal(f"{name}: expected a string")
    value = value.strip()
    if not value:
        raise BadSignal(f"{name}: must not be empty")
    if "\x00" in value:
        raise BadSignal(f"{name}: must not contain NUL characters")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (JSON allows "\ud800"), e.g. cut emoji
            raise BadSignal(f"{name}: not valid Unicode (a lone surrogate)") from None
    limit = LIMITS.get(name)
    if limit is not None and len(value) > limit:
        raise BadSignal(f"{name}: longer than {limit} characters")
    return value


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadSignal(
            "occurred_at: expected an ISO 8601 date and time, e.g. 2026-01-05T14:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # no zone given: UTC


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadSignal("arr: expected a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadSignal("arr: expected a finite number")
    amount = Decimal(str(value))
    if amount < 0:
        raise BadSignal("arr: must not be negative")
    if amount > MAX_ARR:
        raise BadSignal(f"arr: larger than {MAX_ARR}")
    return amount


def _details(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadSignal("details: expected an object")
    if _has_nul(value):
        raise BadSignal("details: must not contain NUL characters")
    return value


def _has_nul(value: Any) -> bool:
    """PostgreSQL refuses NUL in text; walk without recursion (JSON can nest deeply)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            stack += list(item.keys()) + list(item.values())
        elif isinstance(item, list):
            stack += item
    return False
