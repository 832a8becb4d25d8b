"""Signals: churn talk from other systems and from watched Slack channels.

Every way in ends in `CaseService.open` with a dedupe key, so a retried webhook, a Slack
redelivery or a double click never makes a second case:

- `POST /webhooks/signals`: `(f"signals:{source}", external_id)`;
- a Slack message (integration bot, offer button, message shortcut): `("slack-message",
  "channel:ts")`, shared by all three so one message is one case however it arrives;
- the threaded "Open a case" offer itself: `("slack-offer", "channel:ts")`, written in the
  same transaction as the outbox row that posts it.

Handlers turn Slack payloads into `SlackMessage`s and bodies into bytes; nothing here sees
a raw Slack payload.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.cases.models import Opened, Signal
from bot.cases.service import CaseService
from bot.clock import Clock
from bot.lookup import accounts_named_in
from bot.policy import KINDS, Policy
from slack_edge.messages import CaseAction, esc, offer_blocks
from storage import accounts as accounts_store
from storage import cases as store
from storage import outbox as outbox_rows
from storage.db import Database
from storage.models import Account, Case

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

MESSAGE_DEDUPE = "slack-message"
OFFER_DEDUPE = "slack-offer"
WEBHOOK_PREFIX = "signals:"
MAX_SKEW = timedelta(minutes=5)
MAX_BODY_BYTES = 1_000_000
BUTTON_VALUE_MAX = 2000  # Slack's limit on a button's value
MAX_ARR = Decimal("999999999999")  # the column is NUMERIC(14, 2)
LIMITS = {"account": 200, "external_id": 255, "source": 64 - len(WEBHOOK_PREFIX)}
REQUIRED = ("account", "kind", "summary", "external_id")
OPTIONAL = ("source", "occurred_at", "arr", "details")

# First match wins: the strongest signal decides the kind a message suggests.
KIND_HINTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (
            r"payment\s+(?:has\s+)?failed|failed\s+payment|card\s+(?:was\s+)?declined",
            "payment_failed",
        ),
        (r"\bcancel|\bterminat", "cancellation"),
        (r"not\s+renew|non-?renew|won'?t\s+renew|will\s+not\s+renew", "non_renewal"),
        (r"\bdowngrad", "downgrade"),
        (r"switch(?:ing)?\s+to|\bcompetitor", "competitor"),
        (r"\bbudget", "budget_cut"),
        (r"\bleft\s+the\s+company|\bleaving\s+the\s+company", "contact_left"),
    )
)


class BadSignal(ValueError):
    """A webhook body we cannot accept; the message is `<field>: <what is wrong>`."""


def guess_kind(text: str) -> str:
    """The kind a message's words suggest, so the modal (or a bot's case) starts close."""
    return next((kind for pattern, kind in KIND_HINTS if pattern.search(text)), "other")


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
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadSignal(
            "occurred_at: expected an ISO 8601 date and time, e.g. 2026-01-05T14:00:00Z"
        ) from None


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


# -- Slack messages -------------------------------------------------------------------------


@dataclass(frozen=True)
class SlackMessage:
    """A message in a channel, as far as signals care (handlers parse it from Slack)."""

    channel: str
    ts: str
    text: str = ""
    thread_ts: str | None = None
    bot_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.ts}"

    @property
    def thread(self) -> str:
        """Where replies about it go: its own thread, or the thread it is part of."""
        return self.thread_ts or self.ts


@dataclass(frozen=True)
class CaseFields:
    """What the person filled in on the new-case modal."""

    kind: str
    summary: str = ""
    arr: Decimal | None = None
    renewal_date: date | None = None


@dataclass(frozen=True)
class ExistingCase:
    case_id: int
    link: str | None


@dataclass(frozen=True)
class Draft:
    """What the new-case modal starts with for a message, or the case it already has."""

    kind: str
    text: str
    account: Account | None = None
    existing: ExistingCase | None = None


Watched = Literal["ignored", "offered", "already_offered", "opened", "duplicate"]


def offer_value(message: SlackMessage, account_id: int | None) -> str:
    """The offer button's value: where the message is and its words (cut to fit 2000)."""
    data: dict[str, Any] = {"channel": message.channel, "ts": message.ts}
    if message.thread_ts and message.thread_ts != message.ts:
        data["thread_ts"] = message.thread_ts
    if account_id is not None:
        data["account_id"] = account_id
    text = message.text
    while True:
        value = json.dumps(data | {"text": text}, ensure_ascii=False, separators=(",", ":"))
        if len(value) <= BUTTON_VALUE_MAX:
            return value
        text = text[: max(len(text) - (len(value) - BUTTON_VALUE_MAX) - 1, 0)].rstrip() + "…"


def read_offer_value(value: str | None) -> tuple[SlackMessage, int | None] | None:
    """The message an offer button is about, and the account named in it (None: garbled)."""
    try:
        data = json.loads(value or "")
        message = SlackMessage(
            channel=str(data["channel"]),
            ts=str(data["ts"]),
            text=str(data.get("text") or ""),
            thread_ts=data.get("thread_ts"),
        )
        account_id = data.get("account_id")
        return message, int(account_id) if account_id is not None else None
    except (ValueError, TypeError, KeyError):
        return None


def modal_metadata(message: SlackMessage, source: str) -> dict[str, str]:
    """What the new-case modal carries so that its submission knows the message."""
    meta = {"source": source, "channel": message.channel, "ts": message.ts}
    if message.thread_ts and message.thread_ts != message.ts:
        meta["thread_ts"] = message.thread_ts
    return meta


def read_modal_metadata(meta: dict[str, Any]) -> tuple[SlackMessage, str] | None:
    if not meta.get("channel") or not meta.get("ts"):
        return None
    message = SlackMessage(str(meta["channel"]), str(meta["ts"]), thread_ts=meta.get("thread_ts"))
    return message, str(meta.get("source") or "message")


class SignalService:
    def __init__(self, db: Database, policy: Policy, clock: Clock, cases: CaseService) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.cases = cases

    @classmethod
    def of(cls, services: Services) -> SignalService:
        return cls(services.db, services.policy, services.clock, services.cases)

    # -- the webhook

    def receive(self, signal: WebhookSignal) -> Opened:
        """Open or attach a case; an unknown account becomes a stub, never a dropped signal."""
        details: dict[str, Any] = {"external_id": signal.external_id}
        if signal.occurred_at is not None:
            details["occurred_at"] = signal.occurred_at.isoformat()
        if signal.details:
            details["details"] = signal.details
        case_signal = Signal(
            kind=signal.kind,
            source=esc(signal.source),  # outside text shown in mrkdwn: no pings, no links
            summary=esc(signal.summary),
            arr=signal.arr,
            dedupe=(WEBHOOK_PREFIX + signal.source, signal.external_id),
            details=details,
        )
        return self.cases.open(self._account_id(signal.account), case_signal)

    def _account_id(self, external_id: str) -> int:
        for attempt in range(2):
            try:
                with self.db.session() as session:
                    return accounts_store.stub(session, external_id, self.clock.now()).id
            except IntegrityError:  # a concurrent signal created the same stub: use it
                if attempt:
                    raise
        raise AssertionError("unreachable")

    # -- watched channels

    def watch(self, message: SlackMessage, permalink: Callable[[], str | None]) -> Watched:
        """A message in a channel: ignore it, offer to open a case, or (a listed integration
        bot naming exactly one account) open one. `permalink` is only called when needed."""
        signals = self.policy.signals
        if message.channel not in signals.watch_channels:
            return "ignored"
        phrase = signals.matching_phrase(message.text)
        if phrase is None:
            return "ignored"
        with self.db.read() as session:
            if self._existing(session, message) is not None:
                return "duplicate"
            named = accounts_named_in(session, message.text)
        if message.bot_id and message.bot_id in signals.bots and len(named) == 1:
            fields = CaseFields(kind=guess_kind(message.text), summary=message.text)
            opened = self.open_from_message(
                message, named[0], fields, "integration bot", None, permalink()
            )
            return "duplicate" if opened.duplicate else "opened"
        account_id = named[0] if len(named) == 1 else None
        return self._offer(message, phrase, account_id)

    def _offer(self, message: SlackMessage, phrase: str, account_id: int | None) -> Watched:
        """One threaded offer per message: the idempotency row and the outbox row commit
        together, and a concurrent redelivery loses on the unique key."""
        try:
            with self.db.session() as session:
                if store.seen(session, OFFER_DEDUPE, message.key) is not None:
                    return "already_offered"
                now = self.clock.now()
                store.remember(session, OFFER_DEDUPE, message.key, None, now)
                session.flush()
                text, blocks = offer_blocks(message.channel, message.ts, phrase)
                _set_button_value(blocks, offer_value(message, account_id))
                payload = {"text": text, "blocks": blocks, "thread_ts": message.thread}
                outbox_rows.add(
                    session,
                    method="chat.postMessage",
                    channel=message.channel,
                    payload=payload,
                    now=now,
                )
        except IntegrityError:
            return "already_offered"
        return "offered"

    # -- opening a case from a message (offer button, shortcut, integration bot)

    def draft(self, message: SlackMessage, account_id: int | None = None) -> Draft:
        """The modal's starting point: kind from the words, the account when exactly one
        is named; or the case this message already has."""
        with self.db.read() as session:
            existing = self._existing(session, message)
            if existing is not None:
                return Draft(guess_kind(message.text), message.text, existing=existing)
            account = session.get(Account, account_id) if account_id is not None else None
            if account is None:
                named = accounts_named_in(session, message.text)
                account = session.get(Account, named[0]) if len(named) == 1 else None
            return Draft(guess_kind(message.text), message.text, account)

    def existing(self, message: SlackMessage) -> ExistingCase | None:
        with self.db.read() as session:
            return self._existing(session, message)

    def open_from_message(
        self,
        message: SlackMessage,
        account_id: int,
        fields: CaseFields,
        source: str,
        actor: str | None,
        link: str | None,
    ) -> Opened:
        """Open (or attach to) the case for a message; the reply in the message's thread is
        queued in the same unit of work (nothing is said again for a duplicate)."""
        signal = Signal(
            kind=fields.kind,
            source=source,
            actor=actor,
            summary=fields.summary,
            arr=fields.arr,
            renewal_date=fields.renewal_date,
            link=link,
            dedupe=(MESSAGE_DEDUPE, message.key),
            details={"channel": message.channel, "ts": message.ts},
            reply_in=(message.channel, message.thread),
        )
        return self.cases.open(account_id, signal)

    def _existing(self, session: Session, message: SlackMessage) -> ExistingCase | None:
        known = store.seen(session, MESSAGE_DEDUPE, message.key)
        if known is None or known.case_id is None:
            return None
        case = session.get(Case, known.case_id)
        link = store.permalinks(session, [case]).get(known.case_id) if case else None
        return ExistingCase(known.case_id, link)


def _set_button_value(blocks: list[dict], value: str) -> None:
    """Give the offer's button the message's words, so the modal needs no Slack lookup."""
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == CaseAction.OPEN_FROM_MESSAGE.value:
                element["value"] = value
