"""The Deliverer: sends due outbox rows to Slack, channels in parallel, each at its pace.

A pass picks deliverable rows (storage/outbox.py: roots before thread lines, one row per
channel), claims them and hands them to a small thread pool, one call in flight per channel
and at most `workers` at once; a channel that must wait for its pace (bot/outbox/pacing.py)
is skipped meanwhile, so one busy channel never holds the others back. Each row's call and
outcome are the Courier's (bot/outbox/courier.py).

Claims are leases: `LEASE` is longer than the delivery client's timeout for one call
(slack_edge/clients.py), renewed every `RENEW_EVERY` seconds while the call lasts (an upload
is three calls), so two live deliverers never send the same row; a row whose deliverer died
is taken over within `LEASE`, and nothing in its channel waits longer.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta

from bot.common.clock import Clock
from bot.outbox.courier import Courier
from bot.outbox.files import FileSource
from bot.outbox.holding import pause_reason
from bot.outbox.outcomes import Result, ResultKind
from bot.outbox.pacing import Pacer
from bot.ports import SlackTransport
from storage import outbox as rows
from storage import outbox_holds as holds
from storage.db import Database

log = logging.getLogger(__name__)

WORKERS = 8  # calls in flight at once, each to a different channel
LEASE = timedelta(seconds=25)  # > the delivery client's 15 s timeout
RENEW_EVERY = 5.0  # seconds (real time) between lease renewals while calls last
LINK_WAIT = timedelta(seconds=3)  # a DM or confirmation waits this long for its root (at most)
CANDIDATES = 200  # rows looked at per pick


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    superseded: int = 0
    waiting: int = 0  # refused for their channel: they wait for it
    stopped: str | None = None  # why the workspace's delivery is paused, if it is


class Deliverer:
    """Sends due outbox rows to Slack; `run_once` is one pass (the delivery loop, `tick`)."""

    def __init__(
        self,
        db: Database,
        slack: SlackTransport,
        clock: Clock,
        pacer: Pacer | None = None,
        files: FileSource | None = None,
        workers: int = WORKERS,
    ) -> None:
        self.db = db
        self.slack = slack
        self.clock = clock
        self.pacer = pacer or Pacer()
        self.files = files  # makes the bytes of file uploads (bot/outbox/files.py)
        self.workers = workers
        self.renew_every = RENEW_EVERY
        self._pool: ThreadPoolExecutor | None = None
        self._one_pass = threading.Lock()

    def run_once(self, limit: int = 1000) -> DeliveryReport:
        """Deliver what is due now (up to `limit` rows), keeping each channel's pace; stops
        early while the workspace's delivery is paused (`stopped` says why)."""
        with self._one_pass:
            courier = Courier(self.db, self.slack, self.clock, self.files)
            return _Pass(self, courier, limit).run()

    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="outbox")
        return self._pool

    def close(self) -> None:
        """Stop the worker threads (after the pass in progress)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    # -- what admins and health checks read ---------------------------------------------

    def pause_reason(self) -> str | None:
        """Why delivery is paused for the whole workspace (one line), or None. A pause is
        Slack's doing (auth, rate limit, outage) and lifts by itself: show it, but a
        restart does not help."""
        with self.db.read() as session:
            return pause_reason(session, self.clock.now())

    def waiting_channels(self) -> list[holds.Waiting]:
        """Channels whose messages wait because Slack refuses them (archived, gone, the app
        not in it), oldest first, each with its reason, since, next try and message count."""
        with self.db.read() as session:
            return holds.waiting_channels(session)

    def retry_channel(self, channel: str) -> bool:
        """Slack says `channel` changed (unarchived, the app added): try its waiting
        messages now. False if it was not waiting."""
        with self.db.session() as session:
            return holds.try_channel_now(session, channel, self.clock.now())


class _Pass:
    """One delivery pass: pick, claim, send on the pool, collect, until nothing is due."""

    def __init__(self, deliverer: Deliverer, courier: Courier, limit: int) -> None:
        self.d = deliverer
        self.courier = courier
        self.limit = limit
        self.report = DeliveryReport()
        self.claimed = 0
        self.inflight: dict[Future[Result], tuple[int, str]] = {}
        self.renewed_at = time.monotonic()
        with deliverer.db.read() as session:
            self.pause = holds.pause(session)
        self.probe: int | None = None  # the row trying whether a pause can end

    def run(self) -> DeliveryReport:
        try:
            while True:
                self._collect(self._done())
                if self.claimed < self.limit and self._start():
                    continue
                if self.inflight:
                    self._wait()
                    continue
                pace = self._pace_wait() if self.claimed < self.limit else None
                if pace is None:
                    break
                self.d.pacer.sleep(pace)
        finally:
            self._collect(list(wait(self.inflight).done) if self.inflight else [])
        if self.pause is not None:
            self.report.stopped = self.pause.reason
        return self.report

    # -- picking ---------------------------------------------------------------------------

    def _respond_only(self) -> bool:
        """While paused, only response_url answers go (they need no token), and one row
        probes whether the pause can end once its time is up."""
        if self.pause is None:
            return False
        return self.probe is not None or self.pause.until > self.d.clock.now()

    def _start(self) -> bool:
        free = min(self.d.workers - len(self.inflight), self.limit - self.claimed)
        if free <= 0:
            return False
        now = self.d.clock.now()
        busy = {lane for _, lane in self.inflight.values() if lane}
        respond_only = self._respond_only()
        paced_out = set(self.d.pacer.waiting())
        with self.d.db.read() as session:
            found = rows.candidates(
                session,
                now,
                link_wait=LINK_WAIT,
                skip=busy,
                skip_paced=paced_out,
                respond_only=respond_only,
                limit=CANDIDATES,
            )
        probing = self.pause is not None and not respond_only
        picks = self._pick(found, free, probing)
        if not picks:
            return False
        with self.d.db.session() as session:
            ids = [c.id for c in picks]
            claimed = rows.claim(session, ids, now, LEASE, LINK_WAIT, paced_out)
        for candidate in picks:
            if candidate.id in claimed:
                self._submit(candidate, claimed[candidate.id])
                if probing and candidate.method != rows.RESPOND:
                    self.probe = candidate.id
        return bool(claimed)

    def _pick(self, found: list[rows.Candidate], free: int, probe: bool) -> list[rows.Candidate]:
        """The first row of each channel, up to `free`; a probe takes one row only (and any
        response_url answers). A link whose parent goes now waits for it: it will have its
        link in a moment."""
        picks: list[rows.Candidate] = []
        lanes: set[str] = set()
        going = {row_id for row_id, _ in self.inflight.values()}
        for candidate in found:
            if len(picks) >= free:
                break
            if candidate.relation == rows.LINK and candidate.parent_id in going:
                continue
            if candidate.method != rows.RESPOND:
                if candidate.channel in lanes or (probe and lanes):
                    continue
                lanes.add(candidate.channel)
            picks.append(candidate)
            going.add(candidate.id)
        return picks

    def _submit(self, candidate: rows.Candidate, attempt: int) -> None:
        lane = "" if candidate.method == rows.RESPOND else candidate.channel
        if candidate.method in rows.PACED_METHODS:
            self.d.pacer.take(candidate.channel)
        future = self.d.pool().submit(self.courier.deliver, candidate.id, attempt)
        self.inflight[future] = (candidate.id, lane)
        self.claimed += 1

    def _pace_wait(self) -> float | None:
        """Seconds until the next channel with a due post may take it (None: none due)."""
        waiting = self.d.pacer.waiting()
        if not waiting or self._respond_only():
            return None
        with self.d.db.read() as session:
            due = rows.paced_channels_due(
                session, self.d.clock.now(), set(waiting), link_wait=LINK_WAIT
            )
        return min((waiting[c] for c in due), default=None)

    # -- collecting ------------------------------------------------------------------------

    def _done(self) -> list[Future[Result]]:
        return [f for f in self.inflight if f.done()]

    def _wait(self) -> None:
        """Until a call ends, the next pace is up or the leases need renewing."""
        timeout = self.d.renew_every
        pace = self.d.pacer.waiting()
        if pace:
            timeout = min(timeout, min(pace.values()))
        wait(list(self.inflight), timeout=max(timeout, 0.001), return_when=FIRST_COMPLETED)
        if self.inflight and time.monotonic() - self.renewed_at >= self.d.renew_every:
            self._renew()

    def _renew(self) -> None:
        self.renewed_at = time.monotonic()
        ids = [row_id for row_id, _ in self.inflight.values()]
        try:
            with self.d.db.session() as session:
                rows.renew(session, ids, self.d.clock.now() + LEASE)
        except Exception:  # the database is away: the calls go on; the lease may lapse
            log.exception("could not renew the outbox leases of %s", ids)

    def _collect(self, done: list[Future[Result]]) -> None:
        for future in done:
            row_id, lane = self.inflight.pop(future)
            if row_id == self.probe:
                self.probe = None
            try:
                result = future.result()
            except Exception:  # the database went away mid-row: its lease brings it back
                log.exception("outbox %s: delivery failed; it is tried again", row_id)
                self.report.retrying += 1
                continue
            self._count(result, bool(lane))

    def _count(self, result: Result, token_call: bool) -> None:
        kind = result.kind
        if kind == ResultKind.SENT:
            self.report.sent += 1
        elif kind in (ResultKind.RETRYING, ResultKind.PAUSED):
            self.report.retrying += 1
        elif kind == ResultKind.FAILED:
            self.report.failed += 1
        elif kind == ResultKind.SUPERSEDED:
            self.report.superseded += 1
        elif kind == ResultKind.WAITING:
            self.report.waiting += 1
        if kind == ResultKind.PAUSED or (
            kind == ResultKind.SENT and token_call and self.pause is not None
        ):
            with self.d.db.read() as session:  # paused, or lifted by the courier
                self.pause = holds.pause(session)
