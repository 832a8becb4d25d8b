"""One claimed outbox row, from the database to Slack and back: what its parent allows, the
call, what Slack's answer means (bot/outbox/refusals.py), and the outcome recorded.

No transaction is open while Slack answers (on SQLite, no write lock either): the row is
read in one unit of work, sent, and its outcome written in another, fenced by its claim so
a deliverer whose lease ran out records nothing over the one that took the row over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.common.clock import Clock, as_utc
from bot.common.vocab import OutboxState
from bot.outbox import links, lookup
from bot.outbox.files import AFTER_PARENT, FILE_UPLOAD, FileSource, FileUnavailable, upload_file
from bot.outbox.holding import Holds
from bot.outbox.outcomes import (
    EDIT,
    URL_EXPIRED,
    Job,
    Outcome,
    Parent,
    Recorder,
    Result,
    ResultKind,
)
from bot.outbox.pacing import retry_after
from bot.outbox.queue import (
    CHANNELLESS,
    ISSUED,
    REPLACE_ORIGINAL,
    RESPOND,
    STEP_COMPLETED,
    STEP_FAILED,
    WANT_PERMALINK,
    step_failed,
)
from bot.outbox.refusals import CONNECTION_ERROR, Refusal, classify, is_dm
from bot.ports import SlackError, SlackTransport
from storage import outbox as rows
from storage import outbox_edits as edits
from storage.db import Database, one_line, unavailable
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

RESPONSE_URL_LIFETIME = timedelta(minutes=30)  # Slack's docs on response_url
URL_GONE = (404, 410)  # a response_url Slack no longer takes (expired, used up, unknown)
PLAIN_TEXT_LIMIT = 4000  # characters of the plain-text fallback
PLAIN_METHODS = ("chat.postMessage", rows.UPDATE_METHOD)
RECORD_PATIENCE = 60.0  # seconds (real time) an outcome waits for the database to come back
RECORD_RETRY_EVERY = 0.5  # seconds between its tries meanwhile


class Courier:
    """Delivers one claimed row at a time; safe to use from several threads at once."""

    def __init__(
        self, db: Database, slack: SlackTransport, clock: Clock, files: FileSource | None
    ) -> None:
        self.db = db
        self.slack = slack
        self.clock = clock
        self.files = files
        self.holds = Holds(clock)
        self.recorder = Recorder(db, clock, self.holds)
        self.patience = RECORD_PATIENCE
        self.sleep: Callable[[float], None] = time.sleep

    def deliver(self, row_id: int, attempt: int) -> Result:
        """Send row `row_id`, claimed as attempt `attempt`, and record what happened."""
        job = self._prepare(row_id, attempt)
        if isinstance(job, Result):
            return job
        return self._record(job, self._send(job))

    def _record(self, job: Job, outcome: Outcome) -> Result:
        """Write the outcome, waiting up to `patience` seconds for a database that went away
        during the call: Slack has answered, so forgetting it would hold the row (and its
        channel behind it) until its lease ran out, and then ask Slack again. Raises the
        database's error once patience runs out (the row is then looked up when retaken)."""
        deadline = time.monotonic() + self.patience
        tries = 0
        while True:
            try:
                return self.recorder.record(job, outcome)
            except Exception as err:
                if not unavailable(err) or time.monotonic() >= deadline:
                    raise
                if tries == 0:
                    log.warning(
                        "outbox %s: Slack answered but the database cannot record it (%s); "
                        "trying for %.0f s",
                        job.id,
                        one_line(err),
                        self.patience,
                    )
                tries += 1
                self.sleep(RECORD_RETRY_EVERY)

    # -- reading ---------------------------------------------------------------------------

    def _prepare(self, row_id: int, attempt: int) -> Job | Result:
        with self.db.session() as session:
            row = session.get(OutboxMessage, row_id, populate_existing=True)
            if row is None or row.state != OutboxState.SENDING or row.attempts != attempt:
                return Result(ResultKind.LOST)
            parent = session.get(OutboxMessage, row.parent_id) if row.parent_id else None
            settled = self._settled_by_parent(session, row, attempt, parent)
            if settled is not None:
                return settled
            job = Job(
                id=row.id,
                attempt=attempt,
                method=row.method,
                channel=row.channel,
                payload=dict(row.payload),
                relation=row.relation or rows.THREAD,
                created_at=row.created_at,
                parent=Parent.of(parent),
                in_doubt_since=row.in_doubt_since,
            )
            if (
                parent is not None
                and job.relation != rows.THREAD
                and parent.state != OutboxState.SENT
            ):
                note, follow = self.holds.note_for(session, parent)
                job = replace(job, note=note, follow_up=follow and job.relation == rows.LINK)
            if job.relation == rows.AFTER and EDIT in job.payload:
                edited = session.get(OutboxMessage, job.payload[EDIT])
                job = replace(job, target=(edited.channel, edited.ts) if edited else None)
            return job

    def _settled_by_parent(
        self, session: Session, row: OutboxMessage, attempt: int, parent: OutboxMessage | None
    ) -> Result | None:
        """A row its parent decides without a call: a thread line under a failed root fails,
        an edit a newer edit replaces is skipped, and so is the edit that brings a message
        its link once the message was edited in place since (it would bring back the content
        as first posted). (A link, or the follow-up of one, still goes: it says the root
        failed.)"""
        relation = row.relation or rows.THREAD
        if parent is not None and parent.state == OutboxState.FAILED and relation == rows.THREAD:
            reason = f"parent message {parent.id} failed: {parent.last_error}"
            log.warning("outbox %s (%s to %s) failed: %s", row.id, row.method, row.channel, reason)
            rows.finish(session, row.id, attempt, state=OutboxState.FAILED, last_error=reason)
            return Result(ResultKind.FAILED, reason)
        if (
            relation == rows.THREAD
            and row.method == rows.UPDATE_METHOD
            and edits.has_newer_update(session, row)
        ):
            rows.finish(session, row.id, attempt, state=OutboxState.SUPERSEDED)
            return Result(ResultKind.SUPERSEDED)
        edited = row.payload.get(EDIT) if relation == rows.AFTER else None
        if edited is not None and edits.edited_since_posted(session, int(edited)):
            reason = (
                f"message {edited} was edited since it was posted; the link's edit would undo it"
            )
            rows.finish(session, row.id, attempt, state=OutboxState.SUPERSEDED, last_error=reason)
            return Result(ResultKind.SUPERSEDED, reason)
        return None

    # -- sending ---------------------------------------------------------------------------

    def _args(self, job: Job) -> dict[str, Any]:
        """The call's arguments: thread, edit target or link filled in from the parent."""
        args = {k: v for k, v in job.payload.items() if not k.startswith("_")}
        args["channel"] = job.channel
        parent = job.parent
        if parent is None:
            return args
        if job.relation == rows.THREAD:
            args["channel"] = parent.channel
            if not job.payload.get(AFTER_PARENT):
                args["ts" if job.method == rows.UPDATE_METHOD else "thread_ts"] = parent.ts
            return args
        if job.note is not None:
            args = links.without_link(args, job.note)
        else:
            link = parent.permalink or self._permalink(parent.channel, parent.ts)
            if link:
                args = links.with_link(args, link)
            else:  # posted, but Slack would not say its link: never an empty one
                args = links.without_link(args, links.unlinked(parent.channel))
        if job.target is not None:
            args["channel"], args["ts"] = job.target
            args.pop("thread_ts", None)
        if job.method in CHANNELLESS:  # the row's channel is only its lane
            args.pop("channel", None)
        return args

    def _send(self, job: Job) -> Outcome:
        args = self._args(job)
        if job.method == RESPOND:
            return self._respond(job, args)
        if job.method == STEP_COMPLETED and job.note is not None:  # the thread failed
            return self._call(STEP_FAILED, step_failed(args, job.note))
        started = self.clock.now()
        if job.method == lookup.LOOKUP_METHOD:
            if job.in_doubt_since is not None:
                earlier = self._look_up(job, args, job.in_doubt_since)
                if earlier is not None:
                    return replace(earlier, started=started)
            args = lookup.tag(args, job.id)
        outcome = self._call(job.method, args)
        if outcome.error == "not_in_channel" and self._join(args["channel"]):
            outcome = self._call(job.method, args)
        if outcome.refusal is Refusal.MESSAGE and job.method in PLAIN_METHODS:
            outcome = self._plain_text(job.method, args, outcome)
        if outcome.error is None and job.payload.get(WANT_PERMALINK) and outcome.ts:
            link = self._permalink(outcome.channel or args["channel"], outcome.ts)
            outcome = replace(outcome, permalink=link)
        return replace(outcome, started=started)

    def _look_up(self, job: Job, args: dict[str, Any], since: datetime) -> Outcome | None:
        """A row in doubt (bot/outbox/lookup.py): its earlier post, recorded as sent, if Slack
        has it; None to post it; a workspace refusal (unresolved: still in doubt) if Slack
        cannot be read now. Slack refusing the read for good (a missing history scope, the
        channel) posts it: at least once, said in the log."""
        try:
            found = lookup.find(self.slack, args, job.id, since)
        except SlackError as err:
            refusal = classify(err.status, err.error)
            if refusal is Refusal.WORKSPACE:
                wait = retry_after(err.headers) if err.status == 429 else None
                error = "ratelimited" if err.status == 429 else err.error
                return Outcome(error=error, refusal=refusal, retry_after=wait, unresolved=True)
            log.warning(
                "outbox %s may be in %s already, but Slack will not let it be looked for "
                "(%s): posting it (it may show twice)",
                job.id,
                args["channel"],
                err.error,
            )
            return None
        except OSError as err:
            error = f"{CONNECTION_ERROR}: {err}"
            return Outcome(error=error, refusal=Refusal.WORKSPACE, unresolved=True)
        except lookup.TooMuchHistory as err:
            log.warning("outbox %s: %s; posting it (it may show twice)", job.id, err)
            return None
        if found is None:
            return None
        log.warning(
            "outbox %s was posted (%s %s) before its deliverer stopped: recorded as sent, "
            "not posted again",
            job.id,
            found.channel,
            found.ts,
        )
        link = self._permalink(found.channel, found.ts) if job.payload.get(WANT_PERMALINK) else None
        return Outcome(ts=found.ts, channel=found.channel, permalink=link)

    def _call(self, method: str, args: dict[str, Any]) -> Outcome:
        try:
            if method == FILE_UPLOAD:
                response = upload_file(self.slack, self.files, args)
            else:
                response = self.slack.call(method, args)
        except SlackError as err:
            error = "ratelimited" if err.status == 429 else err.error
            wait = retry_after(err.headers) if err.status == 429 else None
            dm = is_dm(str(args.get("channel") or ""))
            refusal = classify(err.status, err.error, dm=dm)
            return Outcome(error=error, refusal=refusal, retry_after=wait)
        except OSError as err:  # connection refused, reset, timeout (URLError is an OSError)
            return Outcome(error=f"{CONNECTION_ERROR}: {err}", refusal=Refusal.WORKSPACE)
        except FileUnavailable as err:
            return Outcome(error=str(err), final=True)
        return Outcome(
            ts=response.get("ts"),
            channel=response.get("channel"),
            permalink=response.get("permalink"),
        )

    def _join(self, channel: str) -> bool:
        """conversations.join, for a channel the app is not in (public channels only:
        Slack refuses private ones, and DMs are not joined)."""
        if not channel.startswith(("C", "G")):
            return False
        try:
            self.slack.call("conversations.join", {"channel": channel})
        except (SlackError, OSError) as err:
            log.warning("could not join %s to deliver there: %s", channel, err)
            return False
        log.info("joined %s to deliver there", channel)
        return True

    def _plain_text(self, method: str, args: dict[str, Any], refused: Outcome) -> Outcome:
        """Slack refused the content: send the text alone (cut to a safe length)."""
        plain = plain_text(args)
        if plain is None:
            return replace(refused, final=True)
        log.warning(
            "%s to %s refused (%s): sending plain text", method, args["channel"], refused.error
        )
        fallback = self._call(method, plain)
        if fallback.refusal is Refusal.MESSAGE:
            error = f"{refused.error}; its plain text too: {fallback.error}"
            return replace(fallback, error=error, final=True)
        return replace(fallback, plain_after=refused.error)

    def _respond(self, job: Job, args: dict[str, Any]) -> Outcome:
        """POST to a response_url, retried with backoff. One Slack no longer takes (older
        than its 30 minutes from when Slack issued it, or answered 404/410) is `url_gone`:
        the answer goes to its person as a DM instead, else fails for good (a follow-up is
        dropped; bot/outbox/outcomes.py)."""
        stamp = job.payload.get(ISSUED)
        issued = as_utc(datetime.fromisoformat(stamp) if stamp else job.created_at)
        follow_up = job.relation == rows.AFTER
        if self.clock.now() - issued > RESPONSE_URL_LIFETIME:
            return Outcome(error=URL_EXPIRED, final=True, drop=follow_up, url_gone=True)
        try:
            replace = bool(args.get(REPLACE_ORIGINAL))
            status = self.slack.respond(args["url"], args["text"], replace=replace)
        except OSError as err:
            return Outcome(error=f"{CONNECTION_ERROR}: {err}", retry_row=True)
        if status == 429 or status >= 500:
            return Outcome(error=f"HTTP {status}", retry_row=True)
        if status != 200:
            error = f"response_url answered {status}"
            return Outcome(error=error, final=True, drop=follow_up, url_gone=status in URL_GONE)
        return Outcome()

    def _permalink(self, channel: str, ts: str | None) -> str | None:
        """The message's permalink; None (logged) if Slack will not say right now."""
        try:
            return self.slack.permalink(channel, ts or "")
        except (SlackError, OSError) as err:
            log.warning("no permalink for %s/%s: %s", channel, ts, err)
            return None

    # -- recording -------------------------------------------------------------------------


def plain_text(args: dict[str, Any]) -> dict[str, Any] | None:
    """The message as text alone (no blocks, no attachments), cut to `PLAIN_TEXT_LIMIT`
    characters, never inside a `<…>` mention or link; None when it has no text."""
    text = str(args.get("text") or "")
    if not text.strip():
        return None
    if len(text) > PLAIN_TEXT_LIMIT:
        cut = text[: PLAIN_TEXT_LIMIT - 1]
        if cut.rfind("<") > cut.rfind(">"):
            cut = cut[: cut.rfind("<")]
        text = cut + "…"
    plain = {k: v for k, v in args.items() if k not in ("blocks", "attachments")}
    plain["text"] = text
    if "ts" in args:  # an edit: clear what the refused content replaced
        plain["blocks"], plain["attachments"] = [], []
    return plain
