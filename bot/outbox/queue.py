"""Queue messages inside the caller's unit of work: each is an `outbox_messages` row that
commits with the change behind it (docs/ARCHITECTURE.md, "Say something")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.common.clock import as_utc
from storage import outbox as rows
from storage.models import OutboxMessage

RESPOND = rows.RESPOND
REPLACE_ORIGINAL = "replace_original"  # a response_url answer replaces the one shown before
ISSUED = "_issued"  # a response_url answer: when Slack issued the URL (ISO 8601, UTC)
PERSON = "_person"  # a response_url answer: who it is for (their DM, once the URL is gone)
WANT_PERMALINK = "_want_permalink"
STEP_COMPLETED = "functions.completeSuccess"
STEP_FAILED = "functions.completeError"
CHANNELLESS = (STEP_COMPLETED, STEP_FAILED)  # methods that take no `channel` argument


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
        payload[WANT_PERMALINK] = True
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

    Sent once `root` is, as its permalink is only known then; if `root` is late (paced),
    waits (its channel refuses messages) or failed, it goes without the link and says why,
    and is edited to carry the link once `root` is posted (bot/outbox/links.py). `flush`
    as in `storage.outbox.add`.
    """
    payload = _message(text, blocks)
    if thread_ts:
        payload["thread_ts"] = thread_ts
    return rows.add(
        session,
        method="chat.postMessage",
        channel=channel,
        payload=payload,
        now=now,
        parent=root,
        relation=rows.LINK,
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
    replace: bool = False,
    issued: datetime | None = None,
    person: str | None = None,
    flush: bool = True,
) -> OutboxMessage:
    """Queue an ephemeral answer on a `response_url` (valid 30 minutes after a command).

    With `link_to`, `{thread_link}` becomes that message's permalink; the answer never
    waits long for it: as `linked`, it goes without the link when the message is late,
    waits or failed, and a second answer brings the link. `replace`: the answer replaces
    the ephemeral message shown before on that URL (the command's acknowledgement, Slack's
    `replace_original`), as the answer that brings the link replaces it in turn. `issued`:
    when Slack issued the URL (the command came; UTC), which its 30 minutes count from
    (else from now). `person`: the user ID of whoever the answer is for; when the URL can
    no longer take it (expired, or Slack answers 404/410), it goes to them as a DM instead
    (bot/outbox/outcomes.py). `flush` as in `storage.outbox.add`.
    """
    payload: dict[str, Any] = {"text": text, "url": response_url}
    if replace:
        payload[REPLACE_ORIGINAL] = True
    if issued is not None:
        payload[ISSUED] = as_utc(issued).isoformat()
    if person:
        payload[PERSON] = person
    return rows.add(
        session,
        method=RESPOND,
        channel="response_url",
        payload=payload,
        now=now,
        parent=link_to,
        relation=rows.LINK,
        flush=flush,
    )


def notify(
    session: Session, now: datetime, user_id: str, text: str, blocks: list[dict] | None = None
) -> OutboxMessage:
    """Notify a person: a DM from the bot."""
    return post(session, now, user_id, text, blocks)


def step_completed(
    session: Session, now: datetime, root: OutboxMessage, execution_id: str, outputs: dict
) -> OutboxMessage:
    """Queue the end of a workflow step (`functions.completeSuccess`) once `root` is posted:
    `{thread_link}` in `outputs` becomes its permalink (docs/slack-admin.md, *The workflow
    step*). Queued in the root's channel lane, so it goes right after the root. When the
    root fails for good, `functions.completeError` goes instead, saying why
    (`step_failed`)."""
    payload = {"function_execution_id": execution_id, "outputs": outputs}
    return rows.add(
        session,
        method=STEP_COMPLETED,
        channel=root.channel,
        payload=payload,
        now=now,
        parent=root,
        relation=rows.AFTER,
    )


def step_failed(args: dict[str, Any], why: str) -> dict[str, Any]:
    """`functions.completeError`'s arguments for a step whose case thread could not be
    posted: the workflow's owner reads `why` in Workflow Builder."""
    return {"function_execution_id": args["function_execution_id"], "error": why}
