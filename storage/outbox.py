"""Outbox queries: add rows, pick and claim deliverable ones, record the outcome.

A row is deliverable when it is due, its channel is not waiting (storage/outbox_holds.py),
no other row of its channel is in flight (one call per channel at a time, across
processes: a thread's lines keep their order), and its parent allows it: a "thread" or
"after" row waits until the parent is sent (or failed); a "link" row also goes when the
parent's channel is waiting, or once it has waited `link_wait` (it then goes without the
link, bot/outbox/links.py).

A pass reads only each channel's head: the first `HEAD_DEPTH` unsent rows of each channel
(thread lines and other rows counted apart, so a new root is never stuck behind a long
thread), from `ix_outbox_heads`, rather than sorting every claimable row. Every row a
channel may send next is among them: a thread line's parent comes before it in its channel,
and a row further down waits for the ones before it anyway; only rows behind `HEAD_DEPTH`
rows that all wait (for a backoff or a link) wait for one of those to go.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from storage.db import OUTBOX_QUEUED
from storage.models import OutboxMessage, WaitingChannel

UPDATE_METHOD = "chat.update"
RESPOND = "respond"  # a POST to a response_url, not a Web API method
THREAD, LINK, AFTER = "thread", "link", "after"
PACED_METHODS = ("chat.postMessage", "files.upload_v2")
# A thread line this old goes before newer roots again, so a stream of new cases never
# starves older threads.
LINE_PRIORITY_AGE = timedelta(minutes=2)
UNSENT_SQL = "state IN ('pending', 'sending')"
"""A literal, identical to the `ix_outbox_heads` predicate (a partial index is only used when
the query repeats its WHERE term with the same constants; see storage/steps.py)."""
HEAD_DEPTH = 8  # unsent rows per channel and kind a pass looks at
RESPOND_DEPTH = 50  # response_url answers (one pseudo-channel, sent in parallel)


def add(
    session: Session,
    *,
    method: str,
    channel: str,
    payload: dict[str, Any],
    now: datetime,
    parent: OutboxMessage | None = None,
    relation: str = THREAD,
    flush: bool = True,
) -> OutboxMessage:
    """Queue a call; `parent` is the message it depends on, as `relation` says (THREAD: a
    reply under it or an edit of it; LINK: elsewhere, carrying its permalink; AFTER: a
    follow-up once it is sent). The row has its id when returned, unless `flush` is False
    (the caller does not need it: the rows of one change are then inserted together when
    the unit of work flushes)."""
    row = OutboxMessage(
        method=method,
        channel=channel,
        payload=payload,
        parent_id=None,
        state="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        relation=relation if parent is not None else None,
    )
    if parent is not None:
        if parent.id is None:
            session.flush()
        row.parent_id = parent.id
    session.add(row)
    if flush:
        session.flush()
    session.info[OUTBOX_QUEUED] = True  # its commit wakes the deliverer (storage.db)
    return row


def _parent_allows(
    now: datetime, link_wait: timedelta, paced_out: Collection[str]
) -> ColumnElement[bool]:
    parent = aliased(OutboxMessage)
    parent_waits = exists().where(WaitingChannel.channel == parent.channel)
    late = [OutboxMessage.created_at <= now - link_wait, parent_waits]
    if paced_out:
        late.append(parent.channel.in_(paced_out))
    link_may_go = and_(OutboxMessage.relation == LINK, or_(*late))
    return or_(
        OutboxMessage.parent_id.is_(None),
        exists().where(
            parent.id == OutboxMessage.parent_id,
            or_(parent.state.in_(("sent", "failed")), link_may_go),
        ),
    )


def _heads() -> Select[tuple[int]]:
    """Ids of each channel's first unsent rows: `HEAD_DEPTH` thread lines and `HEAD_DEPTH`
    other rows per channel (`RESPOND_DEPTH` response_url answers), by id."""
    thread_line = and_(OutboxMessage.relation == THREAD, OutboxMessage.method != UPDATE_METHOD)
    kind = case((OutboxMessage.method == RESPOND, 2), (thread_line, 1), else_=0)
    rank = func.row_number().over(
        partition_by=(OutboxMessage.channel, kind), order_by=OutboxMessage.id
    )
    unsent = (
        select(OutboxMessage.id, kind.label("kind"), rank.label("rank"))
        .where(text(UNSENT_SQL))
        .subquery("unsent")
    )
    depth = case((unsent.c.kind == 2, RESPOND_DEPTH), else_=HEAD_DEPTH)
    return select(unsent.c.id).where(unsent.c.rank <= depth)


def _claimable(
    now: datetime, link_wait: timedelta, paced_out: Collection[str] = ()
) -> ColumnElement[bool]:
    other = aliased(OutboxMessage)
    due = or_(
        and_(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == "sending", OutboxMessage.claimed_until < now),
    )
    channel_open = ~exists().where(
        WaitingChannel.channel == OutboxMessage.channel, WaitingChannel.next_try_at > now
    )
    lane_free = or_(
        OutboxMessage.method == RESPOND,
        ~exists().where(
            other.channel == OutboxMessage.channel,
            other.state == "sending",
            other.claimed_until >= now,
            other.id != OutboxMessage.id,
        ),
    )
    return and_(due, channel_open, lane_free, _parent_allows(now, link_wait, paced_out))


@dataclass(frozen=True)
class Candidate:
    """A deliverable row, as the deliverer chooses among them (no payload loaded)."""

    id: int
    method: str
    channel: str
    parent_id: int | None
    relation: str | None


def candidates(
    session: Session,
    now: datetime,
    *,
    link_wait: timedelta,
    skip: set[str],
    skip_paced: set[str],
    respond_only: bool,
    limit: int,
) -> list[Candidate]:
    """Deliverable rows among the channels' heads (`_heads`), roots and everything outside
    threads before thread lines younger than `LINE_PRIORITY_AGE`, then oldest first.
    Channels in `skip` (in flight here) are left out, and `skip_paced` channels (still
    waiting for their pace) for paced methods only: a link to a root queued there goes
    without waiting `link_wait`. `respond_only` (the workspace is paused) leaves only
    response_url answers."""
    line = and_(
        OutboxMessage.relation == THREAD,
        OutboxMessage.method != UPDATE_METHOD,
        OutboxMessage.created_at > now - LINE_PRIORITY_AGE,
    )
    stmt = select(
        OutboxMessage.id,
        OutboxMessage.method,
        OutboxMessage.channel,
        OutboxMessage.parent_id,
        OutboxMessage.relation,
    ).where(OutboxMessage.id.in_(_heads()), _claimable(now, link_wait, skip_paced))
    if skip:
        stmt = stmt.where(or_(OutboxMessage.method == RESPOND, OutboxMessage.channel.not_in(skip)))
    if skip_paced:
        paced = OutboxMessage.method.in_(PACED_METHODS)
        stmt = stmt.where(~and_(paced, OutboxMessage.channel.in_(skip_paced)))
    if respond_only:
        stmt = stmt.where(OutboxMessage.method == RESPOND)
    stmt = stmt.order_by(case((line, 1), else_=0), OutboxMessage.id).limit(limit)
    return [Candidate(*row) for row in session.execute(stmt)]


def paced_channels_due(
    session: Session, now: datetime, channels: set[str], *, link_wait: timedelta
) -> set[str]:
    """Which of `channels` have a paced row deliverable now (the deliverer waits for their
    pace rather than ending its pass)."""
    if not channels:
        return set()
    stmt = (
        select(OutboxMessage.channel)
        .where(
            OutboxMessage.id.in_(_heads()),
            _claimable(now, link_wait),
            OutboxMessage.method.in_(PACED_METHODS),
            OutboxMessage.channel.in_(channels),
        )
        .distinct()
    )
    return set(session.scalars(stmt))


def claim(
    session: Session,
    ids: list[int],
    now: datetime,
    lease: timedelta,
    link_wait: timedelta,
    paced_out: Collection[str] = (),
) -> dict[int, int]:
    """Claim these rows if they are still deliverable (one claimer wins each: the UPDATE
    re-checks the state); commits; returns {row id: its attempt number}, the claim's fence.

    A row taken over while still `sending` (its deliverer died, or its lease ran out, mid
    call) becomes in doubt: Slack may have posted it. `in_doubt_since` keeps when the oldest
    such attempt began, until an outcome is recorded (`finish`)."""
    if not ids:
        return {}
    # In an UPDATE's SET, columns read the row as it was: both dialects.
    doubt = case(
        (
            OutboxMessage.state == "sending",
            func.coalesce(
                OutboxMessage.in_doubt_since, OutboxMessage.claimed_at, OutboxMessage.created_at
            ),
        ),
        else_=OutboxMessage.in_doubt_since,
    )
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), _claimable(now, link_wait, paced_out))
        .values(
            state="sending",
            claimed_until=now + lease,
            claimed_at=now,
            in_doubt_since=doubt,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage.id, OutboxMessage.attempts)
    )
    claimed = {row_id: attempts for row_id, attempts in session.execute(stmt)}
    session.commit()
    return claimed


def renew(session: Session, ids: list[int], until: datetime) -> None:
    """Extend the lease of rows still in flight here (a slow call is not taken over)."""
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.state == "sending")
            .values(claimed_until=until)
        )
    session.commit()


def has_newer_update(session: Session, row: OutboxMessage) -> bool:
    """An edit that a later edit of the same message will overwrite need not be sent."""
    newer = select(func.count()).where(
        OutboxMessage.method == UPDATE_METHOD,
        OutboxMessage.relation == THREAD,
        OutboxMessage.parent_id == row.parent_id,
        OutboxMessage.id > row.id,
        OutboxMessage.state.in_(("pending", "sending")),
    )
    return bool(session.scalar(newer))


def finish(session: Session, row_id: int, attempt: int, **values: Any) -> bool:
    """Record the outcome of a claimed row (fenced: only while this claim still holds it),
    without committing; False if another claimer took it meanwhile. An outcome clears
    `in_doubt_since` unless `values` keep it (a lookup that could not say)."""
    values.setdefault("in_doubt_since", None)
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.state == "sending",
            OutboxMessage.attempts == attempt,
        )
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    ).all()
    return {state: n for state, n in rows}


def failed(session: Session, limit: int = 20) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.state == "failed")
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
