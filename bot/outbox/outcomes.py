"""What a claimed row is while it is delivered (Job, Outcome) and how its outcome is
recorded: sent (lifting holds, queueing the link that follows), back to wait for a hold,
retried later, or failed loudly (docs/slack.md, *When Slack says no*)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from bot.common.clock import Clock
from bot.common.vocab import OutboxState
from bot.outbox import deleted, queue
from bot.outbox.holding import Holds
from bot.outbox.queue import ISSUED, PERSON, RESPOND
from bot.outbox.refusals import Refusal
from storage import outbox as rows
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

UNKNOWN_TRIES = 4  # an unknown refusal: tried this many times, then failed loudly
UNKNOWN_BACKOFF = timedelta(seconds=10)  # 10 s, 40 s, 160 s between those tries
MAX_BACKOFF = timedelta(minutes=10)  # a response_url that does not answer
EDIT = "_edit"  # an "after" chat.update: the id of the message it edits
URL_EXPIRED = "response_url expired (Slack keeps one for 30 minutes)"
DM_EXPIRED = (
    "_Sent as a direct message: this answer came more than 30 minutes after your command, "
    "too late for Slack to show it where you typed it._"
)
DM_GONE = "_Sent as a direct message: Slack no longer took answers where you typed it ({error})._"


class ResultKind(StrEnum):
    """What became of one claimed row (`Result.kind`)."""

    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    WAITING = "waiting"  # its channel refuses
    PAUSED = "paused"  # the workspace's calls are refused
    LOST = "lost"  # another claimer holds it now


@dataclass(frozen=True)
class Result:
    """What became of one claimed row: sent, retrying, failed, superseded, waiting (its
    channel refuses), paused (the workspace's calls are refused) or lost (another claimer
    holds it now)."""

    kind: ResultKind
    reason: str | None = None


@dataclass(frozen=True)
class Parent:
    """A row's parent as read when the row was: enough to thread under it or link to it."""

    id: int
    channel: str
    state: str
    ts: str | None
    permalink: str | None

    @classmethod
    def of(cls, row: OutboxMessage | None) -> Parent | None:
        return None if row is None else cls(row.id, row.channel, row.state, row.ts, row.permalink)


@dataclass(frozen=True)
class Job:
    """A claimed row as read, and what its parent means for it."""

    id: int
    attempt: int
    method: str
    channel: str
    payload: dict[str, Any]
    relation: str
    created_at: datetime
    parent: Parent | None
    target: tuple[str, str | None] | None = None  # (channel, ts) an "after" edit changes
    note: str | None = None  # why the link to the parent is missing, when it is
    follow_up: bool = False  # bring the link later (the parent has not failed)
    in_doubt_since: datetime | None = None  # an earlier attempt may have posted it (UTC)


@dataclass(frozen=True)
class Outcome:
    """What one row's call came to: a success (ts, channel, permalink), or an error with
    what it means (the kind of refusal) and what follows from it."""

    ts: str | None = None
    channel: str | None = None
    permalink: str | None = None
    error: str | None = None
    refusal: Refusal | None = None
    retry_after: timedelta | None = None  # Slack's Retry-After, for a 429
    retry_row: bool = False  # a response_url that did not answer: this row backs off
    final: bool = False  # fails now, without further tries
    drop: bool = False  # no longer needed (a follow-up whose moment passed)
    plain_after: str | None = None  # the message refusal the plain text replaced
    started: datetime | None = None  # when the call began (a success lifts older holds)
    unresolved: bool = False  # a row in doubt that could not be looked up: it stays in doubt
    url_gone: bool = False  # a response_url Slack no longer takes (expired, 404/410)


class Recorder:
    """Writes a delivered row's outcome in one unit of work, with the holds it sets or lifts."""

    def __init__(self, db: Database, clock: Clock, holds: Holds) -> None:
        self.db = db
        self.clock = clock
        self.holds = holds

    def record(self, job: Job, outcome: Outcome) -> Result:
        now = self.clock.now()
        with self.db.session() as session:
            if outcome.error is None:
                return self._sent(session, job, outcome, now)
            if outcome.drop:
                rows.finish(
                    session,
                    job.id,
                    job.attempt,
                    state=OutboxState.SUPERSEDED,
                    last_error=outcome.error,
                )
                return Result(ResultKind.SUPERSEDED, outcome.error)
            if outcome.url_gone and job.payload.get(PERSON):
                return self._as_dm(session, job, outcome.error, now)
            if outcome.refusal is Refusal.GONE and job.method == rows.UPDATE_METHOD:
                return self._gone(session, job, now)
            if outcome.refusal is Refusal.PERSON:
                return self._unreachable(session, job, outcome.error, now)
            if outcome.retry_row:
                return self._retry(session, job, outcome.error, self._backoff(job.attempt), now)
            if outcome.refusal is Refusal.WORKSPACE and not outcome.final:
                self.holds.pause(session, outcome.error, now, outcome.retry_after)
                doubt = job.in_doubt_since if outcome.unresolved else None
                return self._wait(session, job, ResultKind.PAUSED, outcome.error, now, doubt)
            if outcome.refusal is Refusal.CHANNEL and not outcome.final:
                self.holds.hold(session, job.channel, outcome.error, now)
                return self._wait(session, job, ResultKind.WAITING, outcome.error, now)
            if outcome.final or job.attempt >= UNKNOWN_TRIES:
                return self._fail(session, job, outcome.error)
            wait = UNKNOWN_BACKOFF * 4 ** (job.attempt - 1)
            log.warning(
                "outbox %s: Slack answered `%s`; trying again in %s", job.id, outcome.error, wait
            )
            return self._retry(session, job, outcome.error, wait, now)

    def _sent(self, session: Session, job: Job, outcome: Outcome, now: datetime) -> Result:
        channel = outcome.channel or job.channel
        note = f"sent as plain text: Slack refused the message ({outcome.plain_after})"
        recorded = rows.finish(
            session,
            job.id,
            job.attempt,
            state=OutboxState.SENT,
            ts=outcome.ts,
            channel=channel,
            permalink=outcome.permalink,
            sent_at=now,
            last_error=note if outcome.plain_after else None,
        )
        if not recorded:
            log.warning("outbox %s was taken over by another deliverer while it was sent", job.id)
            return Result(ResultKind.LOST)
        if job.method != RESPOND:
            self.holds.worked(session, job.channel, outcome.started or now)
        if job.follow_up and job.parent is not None:
            self._queue_follow_up(session, job, channel, now)
        return Result(ResultKind.SENT)

    def _queue_follow_up(self, session: Session, job: Job, channel: str, now: datetime) -> None:
        """The message went without its link: once the parent is posted, the link follows (the
        DM is edited in place; a response_url gets a second answer)."""
        assert job.parent is not None
        parent = session.get(OutboxMessage, job.parent.id)
        payload = {k: v for k, v in job.payload.items() if k != "thread_ts"}
        if job.method == RESPOND:
            payload[ISSUED] = payload.get(ISSUED) or job.created_at.isoformat()
            method = RESPOND
        elif job.method == "chat.postMessage":
            payload[EDIT], method = job.id, rows.UPDATE_METHOD
        else:
            return
        rows.add(
            session,
            method=method,
            channel=channel,
            payload=payload,
            now=now,
            parent=parent,
            relation=rows.AFTER,
        )

    def _as_dm(self, session: Session, job: Job, error: str, now: datetime) -> Result:
        """A response_url answer Slack no longer takes (its 30 minutes are up, or it answered
        404/410) goes to its person as a DM, linked to the same thread root, with a line
        saying why; the answer's row ends superseded, naming the DM. (A follow-up that only
        brings the link is dropped before this.)"""
        person = str(job.payload[PERSON])
        why = DM_EXPIRED if error == URL_EXPIRED else DM_GONE.format(error=error)
        text = f"{job.payload.get('text') or ''}\n{why}".strip()
        parent = session.get(OutboxMessage, job.parent.id) if job.parent else None
        if parent is None:
            dm = queue.post(session, now, person, text)
        else:
            dm = queue.linked(session, now, person, parent, text)
        note = f"{error}: sent to <@{person}> as a DM instead (message {dm.id})"
        if not rows.finish(
            session, job.id, job.attempt, state=OutboxState.SUPERSEDED, last_error=note
        ):
            session.delete(dm)
            return Result(ResultKind.LOST)
        log.warning("outbox %s: %s", job.id, note)
        return Result(ResultKind.SUPERSEDED, note)

    def _gone(self, session: Session, job: Job, now: datetime) -> Result:
        """An edit of a message Slack deleted: dropped, never retried (bot/outbox/deleted.py)."""
        parent_id = job.parent.id if job.parent else None
        edited = job.payload.get(EDIT) if job.relation == rows.AFTER else parent_id
        ts = job.target[1] if job.target else (job.parent.ts if job.parent else None)
        if not deleted.drop_edit(session, job.id, job.attempt, edited, ts, job.payload, now):
            return Result(ResultKind.LOST)
        return Result(ResultKind.SUPERSEDED, "message_not_found")

    def _unreachable(self, session: Session, job: Job, error: str, now: datetime) -> Result:
        """A DM Slack refuses for good for that person (bot/outbox/deleted.py)."""
        parent_id = job.parent.id if job.parent else None
        reason = deleted.person_unreachable(
            session, job.id, job.attempt, job.channel, parent_id, job.payload, error, now
        )
        return Result(ResultKind.LOST) if reason is None else Result(ResultKind.FAILED, reason)

    def _wait(
        self,
        session: Session,
        job: Job,
        kind: ResultKind,
        error: str,
        now: datetime,
        in_doubt_since: datetime | None = None,
    ) -> Result:
        """Back to pending, the try not counted: the hold decides when it goes again (a row
        still in doubt keeps `in_doubt_since`: it is looked up again first)."""
        rows.finish(
            session,
            job.id,
            job.attempt,
            state=OutboxState.PENDING,
            next_attempt_at=now,
            attempts=job.attempt - 1,
            last_error=error,
            in_doubt_since=in_doubt_since,
        )
        return Result(kind, error)

    def _retry(
        self, session: Session, job: Job, error: str, wait: timedelta, now: datetime
    ) -> Result:
        rows.finish(
            session,
            job.id,
            job.attempt,
            state=OutboxState.PENDING,
            next_attempt_at=now + wait,
            last_error=error,
        )
        return Result(ResultKind.RETRYING, error)

    def _fail(self, session: Session, job: Job, error: str) -> Result:
        log.error(
            "outbox %s (%s to %s) failed for good after %s tries: %s",
            job.id,
            job.method,
            job.channel,
            job.attempt,
            error,
        )
        rows.finish(session, job.id, job.attempt, state=OutboxState.FAILED, last_error=error)
        return Result(ResultKind.FAILED, error)

    @staticmethod
    def _backoff(attempt: int) -> timedelta:
        return min(timedelta(seconds=2 ** min(max(attempt - 1, 0), 10)), MAX_BACKOFF)
