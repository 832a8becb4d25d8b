"""The one outbox: every outgoing Slack message is a row written with the change behind it.

`post`/`reply`/`update`/`notify` queue rows inside the caller's unit of work. The
`Deliverer` sends them later with durable retries: 429 waits for `Retry-After`, 5xx and
connection errors back off exponentially, permanent errors (`channel_not_found`,
`invalid_blocks`, …) fail the row with its reason. `chat.postMessage` is paced to about
one per second per channel. Retries live in the rows rather than in an in-process retry
handler so that they survive restarts and never block a worker thread.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.outbox_files import AFTER_PARENT, FILE_UPLOAD, FileSource, FileUnavailable, upload_file
from bot.ports import SlackError, SlackTransport
from storage import outbox as rows
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# Transient failures (429, 5xx, no connection) retry with capped backoff for days: an
# outage only delays messages. Only a week-old message is given up on.
GIVE_UP_AFTER = timedelta(days=7)
MAX_BACKOFF = timedelta(minutes=10)
LEASE = timedelta(minutes=2)
POST_PACE_SECONDS = 1.0
RESPONSE_URL_LIFETIME = timedelta(minutes=30)  # Slack's docs on response_url

LINK_TOKEN = "{thread_link}"
RESPOND = "respond"
_WANT_PERMALINK = "_want_permalink"
_LINK_PARENT = "_link_parent"


def _message(text: str, blocks: list[dict] | None) -> dict[str, Any]:
    """A message's payload: the text (notifications, fallback) and any blocks."""
    return {"text": text, "blocks": blocks} if blocks else {"text": text}


def post(
    session: Session,
    now: datetime,
    channel: str,
    text: str,
    blocks: list[dict] | None = None,
    *,
    keep_permalink: bool = False,
) -> OutboxMessage:
    """Queue a new message in a channel (or a DM, when `channel` is a user ID).

    `keep_permalink` stores the message's permalink once sent (thread roots), so lists
    and DMs can link to it without asking Slack again.
    """
    payload = _message(text, blocks)
    if keep_permalink:
        payload[_WANT_PERMALINK] = True
    return rows.add(session, method="chat.postMessage", channel=channel, payload=payload, now=now)


def linked(
    session: Session,
    now: datetime,
    channel: str,
    root: OutboxMessage,
    text: str,
    blocks: list[dict] | None = None,
    *,
    thread_ts: str | None = None,
    flush: bool = True,
) -> OutboxMessage:
    """Queue a message elsewhere that links to `root`: `{thread_link}` becomes its permalink.

    Sent after `root`, whose permalink is only known once Slack has it. `flush` as in
    `storage.outbox.add`.
    """
    payload = {**_message(text, blocks), _LINK_PARENT: True}
    if thread_ts:
        payload["thread_ts"] = thread_ts
    return rows.add(
        session,
        method="chat.postMessage",
        channel=channel,
        payload=payload,
        now=now,
        parent=root,
        flush=flush,
    )


def reply(
    session: Session,
    now: datetime,
    root: OutboxMessage,
    text: str,
    blocks: list[dict] | None = None,
    *,
    flush: bool = True,
) -> OutboxMessage:
    """Queue a reply in the thread of `root`, sent once the root has its `ts`. `flush` as
    in `storage.outbox.add`."""
    payload = _message(text, blocks)
    return rows.add(
        session,
        method="chat.postMessage",
        channel=root.channel,
        payload=payload,
        now=now,
        parent=root,
        flush=flush,
    )


def update(
    session: Session,
    now: datetime,
    root: OutboxMessage,
    text: str,
    blocks: list[dict] | None = None,
) -> OutboxMessage:
    """Queue an in-place edit of `root` (same `ts`); older queued edits are skipped."""
    payload: dict[str, Any] = {"text": text, "blocks": blocks or []}
    return rows.add(
        session,
        method=rows.UPDATE_METHOD,
        channel=root.channel,
        payload=payload,
        now=now,
        parent=root,
    )


def respond(
    session: Session,
    now: datetime,
    response_url: str,
    text: str,
    *,
    link_to: OutboxMessage | None = None,
    flush: bool = True,
) -> OutboxMessage:
    """Queue an ephemeral answer on a `response_url` (valid 30 minutes after a command).

    With `link_to`, `{thread_link}` becomes that message's permalink. `flush` as in
    `storage.outbox.add`.
    """
    payload: dict[str, Any] = {"text": text, "url": response_url}
    if link_to is not None:
        payload[_LINK_PARENT] = True
    return rows.add(
        session,
        method=RESPOND,
        channel="response_url",
        payload=payload,
        now=now,
        parent=link_to,
        flush=flush,
    )


def notify(
    session: Session, now: datetime, user_id: str, text: str, blocks: list[dict] | None = None
) -> OutboxMessage:
    """Notify a person: a DM from the bot."""
    return post(session, now, user_id, text, blocks)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    superseded: int = 0
    stopped: str | None = None


@dataclass(frozen=True)
class _Outcome:
    """What happened to one call: sent (with ts), retry later, or failed for good."""

    ts: str | None = None
    channel: str | None = None
    permalink: str | None = None  # a shared file's, known from the upload's answer
    retry_after: timedelta | None = None
    error: str | None = None


def retry_after(headers: Any) -> timedelta:
    """Slack's Retry-After (any header casing); one second if absent or unreadable."""
    value = next((v for k, v in dict(headers or {}).items() if k.lower() == "retry-after"), "1")
    if isinstance(value, list):
        value = value[0] if value else "1"
    try:
        return timedelta(seconds=min(max(int(str(value).strip()), 0), 3600))
    except ValueError:
        return timedelta(seconds=1)


class Pacer:
    """About one chat.postMessage per second per channel, as Slack asks.

    Pacing is about real elapsed time, so it keeps its own monotonic clock rather than the
    injected business clock (which tests move by days at a time).
    """

    def __init__(
        self,
        interval: float = POST_PACE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self.monotonic = monotonic
        self.sleep = sleep
        self._last: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        last = self._last.get(channel)
        if last is not None:
            wait = self.interval - (self.monotonic() - last)
            if wait > 0:
                self.sleep(wait)
        self._last[channel] = self.monotonic()


class Deliverer:
    """Sends due outbox rows to Slack, one claimed row at a time."""

    def __init__(
        self,
        db: Database,
        slack: SlackTransport,
        clock: Clock,
        pacer: Pacer | None = None,
        files: FileSource | None = None,
    ) -> None:
        self.db = db
        self.slack = slack
        self.clock = clock
        self.pacer = pacer or Pacer()
        self.files = files  # makes the bytes of file uploads (bot/outbox_files.py)

    def run_once(self, limit: int = 1000) -> DeliveryReport:
        """Deliver what is due now; stop early when Slack says to slow down or is down."""
        report = DeliveryReport()
        with self.db.session() as session:
            for _ in range(limit):
                row = rows.claim_next(session, self.clock.now(), LEASE)
                if row is None:
                    break
                if not self._deliver(session, row, report):
                    report.stopped = row.last_error
                    break
        return report

    def _deliver(self, session: Session, row: OutboxMessage, report: DeliveryReport) -> bool:
        """Handle one claimed row; False means Slack is not taking calls right now."""
        parent = session.get(OutboxMessage, row.parent_id) if row.parent_id else None
        if parent is not None and parent.state == "failed":
            self._fail(session, row, f"parent message {parent.id} failed", report)
            return True
        if row.method == rows.UPDATE_METHOD and rows.has_newer_update(session, row):
            rows.finish(session, row, state="superseded")
            report.superseded += 1
            return True
        session.commit()  # no transaction (and on SQLite no write lock) while Slack answers
        outcome = self._call(row, parent)
        if outcome.retry_after is not None:
            self._retry(session, row, outcome, report)
            return False
        if outcome.error is not None:
            self._fail(session, row, outcome.error, report)
            return True
        permalink = outcome.permalink
        if row.payload.get(_WANT_PERMALINK) and outcome.ts:
            permalink = self._permalink(outcome.channel or row.channel, outcome.ts)
        rows.finish(
            session,
            row,
            state="sent",
            ts=outcome.ts,
            channel=outcome.channel or row.channel,
            permalink=permalink,
            sent_at=self.clock.now(),
            last_error=None,
        )
        report.sent += 1
        return True

    def _retry(
        self, session: Session, row: OutboxMessage, outcome: _Outcome, report: DeliveryReport
    ) -> None:
        if self.clock.now() - row.created_at > GIVE_UP_AFTER:
            self._fail(
                session, row, f"gave up after {row.attempts} attempts: {outcome.error}", report
            )
            return
        delay = outcome.retry_after or timedelta(0)
        log.info("outbox %s: %s, retrying in %s", row.id, outcome.error, delay)
        rows.finish(
            session,
            row,
            state="pending",
            next_attempt_at=self.clock.now() + delay,
            last_error=outcome.error,
        )
        report.retrying += 1

    def _fail(
        self, session: Session, row: OutboxMessage, reason: str, report: DeliveryReport
    ) -> None:
        log.warning("outbox %s (%s to %s) failed: %s", row.id, row.method, row.channel, reason)
        rows.finish(session, row, state="failed", last_error=reason)
        report.failed += 1

    def _permalink(self, channel: str, ts: str | None) -> str | None:
        """The message's permalink; None (logged) if Slack will not say right now."""
        try:
            return self.slack.permalink(channel, ts or "")
        except (SlackError, OSError) as err:
            log.warning("no permalink for %s/%s: %s", channel, ts, err)
            return None

    def _args(self, row: OutboxMessage, parent: OutboxMessage | None) -> dict[str, Any]:
        """The API arguments: thread, edit target or link filled in from the parent."""
        args = {k: v for k, v in row.payload.items() if not k.startswith("_")}
        args["channel"] = row.channel
        if parent is None:
            return args
        if row.payload.get(_LINK_PARENT):
            link = parent.permalink or self._permalink(parent.channel, parent.ts) or ""
            return json.loads(json.dumps(args).replace(LINK_TOKEN, link.replace('"', "")))
        args["channel"] = parent.channel
        if not row.payload.get(AFTER_PARENT):
            args["ts" if row.method == rows.UPDATE_METHOD else "thread_ts"] = parent.ts
        return args

    def _call(self, row: OutboxMessage, parent: OutboxMessage | None) -> _Outcome:
        args = self._args(row, parent)
        if row.method == RESPOND:
            return self._respond(row, args)
        self._pace(row)
        try:
            if row.method == FILE_UPLOAD:
                response = upload_file(self.slack, self.files, args)
            else:
                response = self.slack.call(row.method, args)
        except SlackError as err:
            return self._classify(row, err)
        except OSError as err:  # connection refused, reset, timeout (URLError is an OSError)
            return _Outcome(error=f"connection error: {err}", retry_after=self._backoff(row))
        except FileUnavailable as err:
            return _Outcome(error=str(err))
        channel, permalink = response.get("channel"), response.get("permalink")
        return _Outcome(ts=response.get("ts"), channel=channel, permalink=permalink)

    def _respond(self, row: OutboxMessage, args: dict[str, Any]) -> _Outcome:
        """POST to a response_url, retried with backoff; one Slack no longer takes (a 404,
        or older than its 30 minutes) is a permanent failure."""
        if self.clock.now() - row.created_at > RESPONSE_URL_LIFETIME:
            return _Outcome(error="response_url expired (Slack keeps one for 30 minutes)")
        try:
            status = self.slack.respond(args["url"], args["text"])
        except OSError as err:
            return _Outcome(error=f"connection error: {err}", retry_after=self._backoff(row))
        if status == 429 or status >= 500:
            return _Outcome(error=f"HTTP {status}", retry_after=self._backoff(row))
        if status != 200:
            return _Outcome(error=f"response_url answered {status}")
        return _Outcome()

    def _classify(self, row: OutboxMessage, err: SlackError) -> _Outcome:
        status, error = err.status, err.error
        if status == 429:
            return _Outcome(error="ratelimited", retry_after=retry_after(err.headers))
        if status >= 500 or error in TRANSIENT_ERRORS:
            return _Outcome(error=error, retry_after=self._backoff(row))
        return _Outcome(error=error)

    @staticmethod
    def _backoff(row: OutboxMessage) -> timedelta:
        return min(timedelta(seconds=2 ** max(row.attempts - 1, 0)), MAX_BACKOFF)

    def _pace(self, row: OutboxMessage) -> None:
        if row.method in ("chat.postMessage", FILE_UPLOAD):
            self.pacer.wait(row.channel)
