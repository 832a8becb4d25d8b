"""Delivering outbound events at least once, signed per the Standard Webhooks specification
(https://www.standardwebhooks.com, docs/webhooks.md, *Outbound webhooks*).

Each attempt POSTs the row's exact body with `webhook-id` (the event's id, the same on every
retry), `webhook-timestamp` (this attempt's Unix seconds, real time: the receiver compares
it with its own clock) and `webhook-signature: v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}" keyed with the bytes behind whsec_>`. A 2xx answer delivers it;
anything else (another status, a redirect, no answer within `TIMEOUT_SECONDS`) is retried on
the specification's schedule, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then the row fails
and `check` says so. Retries live in the rows, so they survive restarts. An endpoint that
does not answer is tried once a pass: its other due events wait for the next pass rather
than hold up the other endpoints' events behind one timeout each.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.common.clock import Clock
from bot.common.vocab import DeliveryState
from bot.outbox import DeliveryReport
from bot.policy import Policy
from storage import outbound as rows
from storage.db import Database

log = logging.getLogger(__name__)

RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
"""Waits after the 1st, 2nd… failed attempt (Standard Webhooks' suggested schedule)."""
TIMEOUT_SECONDS = 10.0
LEASE = timedelta(seconds=60)
"""Longer than an attempt can take: a sender that died mid-attempt is replaced after it."""
USER_AGENT = "Savedesk-Webhooks/1"
KEEP = timedelta(days=30)
"""How long a delivered event is kept by default (`WEBHOOK_DELIVERIES_KEEP`)."""
PRUNE_EVERY = timedelta(hours=1)

Post = Callable[[str, bytes, dict[str, str]], int | None]
"""POST (url, body, headers) → the HTTP status, None when there was no answer."""


def sign(key: bytes, event_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header value for one attempt."""
    signed = f"{event_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer that did not accept the event (Standard Webhooks)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int | None:
    """POST with the standard library; the status, or None on no answer (refused, timed
    out, unreadable)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
    except (OSError, ValueError) as err:
        log.info("webhook %s: no answer (%s)", url, type(err).__name__)
        return None


class WebhookSender:
    """Claims due deliveries and sends them, one at a time (the scheduler's loop, `tick`)."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        post: Post = http_post,
        wall: Callable[[], float] = time.time,
        keep: timedelta = KEEP,
    ) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.post = post
        self.wall = wall
        self.keep = keep
        self._pruned_at: datetime | None = None

    def run_once(self, limit: int = 100) -> DeliveryReport:
        """Attempt up to `limit` due deliveries. Raises when the database is unavailable
        (the loop backs off; a claimed row is attempted again after its lease)."""
        report = DeliveryReport()
        silent: set[str] = set()  # endpoints that did not answer in this pass
        for _ in range(limit):
            with self.db.session() as session:
                row = rows.claim_next(session, self.clock.now(), LEASE, skip=silent)
                if row is None:
                    break
                claim = (row.id, row.attempts, row.event_id, row.url, row.body)
            if self._attempt(*claim, report) is None:
                silent.add(claim[3])
        self.prune()
        return report

    def prune(self, force: bool = False) -> int:
        """Forget deliveries delivered more than `keep` ago, at most every `PRUNE_EVERY`
        (unless `force`), keeping each endpoint's last one for `check`; failed ones stay
        (they are `check`'s problems). Returns how many were deleted."""
        now = self.clock.now()
        if not force and self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return 0
        with self.db.session() as session:
            gone = rows.prune(session, now - self.keep)
        self._pruned_at = now
        if gone:
            log.info("forgot %s outbound webhook deliveries older than %s", gone, self.keep)
        return gone

    def _attempt(
        self, row_id: int, attempt: int, event_id: str, url: str, body: str, report: DeliveryReport
    ) -> int | None:
        """POST one delivery and record the outcome; the HTTP status, None when the endpoint
        did not answer (its other due events then wait for the next pass: each attempt
        there could wait out `TIMEOUT_SECONDS` and hold up every other endpoint)."""
        hook = next((h for h in self.policy.outbound_webhooks if h.url == url), None)
        status: int | None = None
        if hook is None:
            error: str | None = "the endpoint is no longer in the policy"
        else:
            timestamp = int(self.wall())
            headers = {
                "content-type": "application/json",
                "user-agent": USER_AGENT,
                "webhook-id": event_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(hook.key, event_id, timestamp, body),
            }
            status = self.post(url, body.encode(), headers)
            error = None if status is not None and 200 <= status < 300 else _why(status)
        self._record(row_id, attempt, status, error, hook is None, report)
        return status

    def _record(
        self,
        row_id: int,
        attempt: int,
        status: int | None,
        error: str | None,
        gone: bool,
        report: DeliveryReport,
    ) -> None:
        now = self.clock.now()
        with self.db.session() as session:
            if error is None:
                rows.finish(session, row_id, attempt, state=DeliveryState.DELIVERED, now=now,
                            status=status, error=None)  # fmt: skip
                report.sent += 1
            elif gone or attempt > len(RETRY_SCHEDULE):
                rows.finish(session, row_id, attempt, state=DeliveryState.FAILED, now=now,
                            status=status, error=error)  # fmt: skip
                report.failed += 1
                log.warning("webhook delivery %s failed for good: %s", row_id, error)
            else:
                retry_at = now + RETRY_SCHEDULE[attempt - 1]
                rows.finish(session, row_id, attempt, state=DeliveryState.PENDING, now=now,
                            status=status, error=error, retry_at=retry_at)  # fmt: skip
                report.retrying += 1


def _why(status: int | None) -> str:
    return "no answer" if status is None else f"answered HTTP {status}"
