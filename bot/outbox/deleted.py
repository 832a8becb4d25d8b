"""Two refusals no wait helps (bot/outbox/refusals.py; docs/slack.md, *When Slack says no*):

- an edit of a message Slack no longer has (`message_not_found`: someone deleted it). The
  edit is dropped (superseded, with the reason) and said once in the log. If the message
  was the root of an open case, the root is posted again, once, with the edit's content:
  the same outbox row goes back to pending, so the case keeps it, and every line and edit
  queued in its thread waits for it and goes under the new `ts`. The case's timeline says
  so, a line in the new thread says the earlier lines stay under the deleted message, and
  the owner gets the new link in a DM. A closed case's root is not posted again (its
  timeline says it was deleted).
- a DM Slack refuses for good for that person (no such member, a bot, a deactivated
  account). The row fails naming who could not be reached (`check` lists it with the other
  failed messages), and, if the DM was about a case (it links to the case's root), the
  case's timeline and thread say who was not told, so the team sees it.

Both run inside the Recorder's unit of work for the refused row.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.common.vocab import OutboxState
from bot.outbox import queue
from bot.outbox.refusals import why_person
from storage import cases as case_rows
from storage import outbox as rows
from storage.models import OPEN_STATUSES, Case, OutboxMessage
from storage.vocab import CaseEventType

log = logging.getLogger(__name__)


def drop_edit(
    session: Session,
    row_id: int,
    attempt: int,
    edited_id: int | None,
    edited_ts: str | None,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """Drop edit `row_id` of a message Slack deleted; repost it if it was an open case's
    root. False if another claimer holds the row now."""
    reason = "message_not_found: the message was deleted in Slack; nothing to edit"
    if not rows.finish(session, row_id, attempt, state=OutboxState.SUPERSEDED, last_error=reason):
        return False
    case = case_rows.case_of_root(session, edited_id) if edited_id is not None else None
    log.warning(
        "outbox %s: the message it edits (outbox %s, ts %s) was deleted in Slack; the edit "
        "is dropped%s",
        row_id,
        edited_id,
        edited_ts,
        "" if case is None else f" (the root of case #{case.id})",
    )
    if case is None or edited_id is None or edited_ts is None:
        return True
    if case.status not in OPEN_STATUSES:
        _event(session, case, now, "The case thread's root was deleted in Slack.")
        return True
    content = {k: v for k, v in payload.items() if k in ("text", "blocks")}
    root = session.get(OutboxMessage, edited_id)
    assert root is not None
    kept = {k: v for k, v in root.payload.items() if k.startswith("_")}
    if not rows.repost(session, edited_id, edited_ts, {**kept, **content}, now):
        return True  # already reposted, or no longer that message
    session.refresh(root)
    _repost_told(session, case, root, now)
    return True


def _repost_told(session: Session, case: Case, root: OutboxMessage, now: datetime) -> None:
    """The timeline, the new thread and the owner learn that the root was posted again."""
    said = "The case thread's root was deleted in Slack; it was posted again."
    _event(session, case, now, said)
    log.warning("case #%s: its thread's root was deleted in Slack; posting it again", case.id)
    queue.reply(
        session,
        now,
        root,
        ":warning: This case's thread was deleted in Slack and started again here; "
        "earlier lines stay under the deleted message.",
    )
    if case.owner:
        text = (
            f"The thread of case #{case.id} was deleted in Slack; it is posted again: "
            "{thread_link}"
        )
        queue.linked(session, now, case.owner, root, text)


def person_unreachable(
    session: Session,
    row_id: int,
    attempt: int,
    channel: str,
    parent_id: int | None,
    payload: dict[str, Any],
    error: str,
    now: datetime,
) -> str | None:
    """Fail DM `row_id` to `channel`, which Slack refuses for that person (`error`); the
    reason recorded, or None if another claimer holds the row now."""
    who = f"<@{channel}>" if channel[:1] in ("U", "W") else channel
    reason = f"could not reach {who} by DM: {why_person(error)} (Slack answered `{error}`)"
    if not rows.finish(session, row_id, attempt, state=OutboxState.FAILED, last_error=reason):
        return None
    log.error("outbox %s failed for good: %s", row_id, reason)
    case = case_rows.case_of_root(session, parent_id) if parent_id is not None else None
    if case is None:
        return reason
    root = session.get(OutboxMessage, parent_id)
    assert root is not None
    first = str(payload.get("text") or "").replace("{thread_link}", "").strip()
    first = first.splitlines()[0][:200] if first else "a message about this case"
    line = (
        f":warning: Could not reach {who} by DM ({why_person(error)}); they were not told: {first}"
    )
    _event(session, case, now, line, error)
    queue.reply(session, now, root, line)
    return reason


def _event(session: Session, case: Case, at: datetime, text: str, error: str | None = None) -> None:
    type = CaseEventType.DM_UNREACHABLE if error else CaseEventType.THREAD_DELETED
    details = {"error": error} if error else {}
    case_rows.add_event(session, case, at=at, actor=None, type=type, text=text, details=details)
