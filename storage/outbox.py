"""Outbox queries: add rows, pick and claim deliverable ones, record the outcome.

A row is deliverable when it is due, its channel is not waiting (storage/outbox_holds.py),
no other row of its channel is in flight (one call per channel at a time, across
processes: a thread's lines keep their order), and its parent allows it: a "thread" or
"after" row waits until the parent is sent (or failed); a "link" row also goes when the
parent's channel is waiting, or once it has waited `link_wait` (it then goes without the
link, bot/outbox/links.py).

On PostgreSQL a pass reads only each channel's head: the first `HEAD_DEPTH` unsent rows of
each channel (thread lines and other rows counted apart, so a new root is never stuck
behind a long thread), from `ix_outbox_heads`, rather than sorting every claimable row.
Every row a channel may send next is among them: a thread line's parent comes before it in
its channel, and a row further down waits for the ones before it anyway; only rows behind
`HEAD_DEPTH` rows that all wait (for a backoff or a link) wait for one of those to go. On
SQLite every unsent row is read (faster there: `_on_postgresql`). Whether a channel has a
call in flight is read from `ix_outbox_sending` on both.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from storage.db import OUTBOX_QUEUED
from storage.models import OutboxMessage, WaitingChannel
from storage.vocab import OutboxRelation, OutboxState

UPDATE_METHOD = "chat.update"
RESPOND = "respond"  # a POST to a response_url, not a Web API method
THREAD, LINK, AFTER = OutboxRelation.THREAD, OutboxRelation.LINK, OutboxRelation.AFTER
PACED_METHODS = ("chat.postMessage", "files.upload_v2")
# A thread line this old goes before newer roots again, so a stream of new cases never
# starves older threads.
LINE_PRIORITY_AGE = timedelta(minutes=2)
UNSENT_SQL = "state IN ('pending', 'sending')"
SENDING_SQL = "'sending'"  # the `ix_outbox_sending` predicate's constant
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
        state=OutboxState.PENDING,
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


Row = Any  # OutboxMessage, or an alias of it over the heads (`_head_rows`)
When = Any  # a datetime (UTC), or a bound parameter standing for one (`_candidates_stmt`)


def _parent_allows(link_cutoff: When, paced_out: Any, row: Row) -> ColumnElement[bool]:
    parent = aliased(OutboxMessage)
    parent_waits = exists().where(WaitingChannel.channel == parent.channel)
    late = [row.created_at <= link_cutoff, parent_waits]
    if paced_out is not None:
        late.append(parent.channel.in_(paced_out))
    link_may_go = and_(row.relation == LINK, or_(*late))
    return or_(
        row.parent_id.is_(None),
        exists().where(
            parent.id == row.parent_id,
            or_(parent.state.in_((OutboxState.SENT, OutboxState.FAILED)), link_may_go),
        ),
    )


def _head_rows() -> Row:
    """Each channel's first unsent rows: `HEAD_DEPTH` thread lines and `HEAD_DEPTH` other
    rows per channel (`RESPOND_DEPTH` response_url answers), by id, as an alias of
    OutboxMessage (no payload). Materialized CTEs: the window and the rows are read once,
    and whether each can go is asked of them only, even when PostgreSQL has no statistics
    on the table yet (a burst's first minute) and would otherwise ask it of every row."""
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
    ids = select(unsent.c.id).where(unsent.c.rank <= depth).cte("head_ids")
    ids = ids.prefix_with("MATERIALIZED", dialect="postgresql")
    columns = [c for c in OutboxMessage.__table__.c if c.name != "payload"]
    rows = select(*columns).join(ids, ids.c.id == OutboxMessage.id).cte("heads")
    return aliased(OutboxMessage, rows.prefix_with("MATERIALIZED", dialect="postgresql"))


def _on_postgresql(session: Session) -> bool:
    """Read the heads (PostgreSQL), or every unsent row (SQLite: faster there than the
    window's sort, bench/README.md `outbox_pass.py`)."""
    return session.get_bind().dialect.name == "postgresql"


def _claimable(
    now: When, link_cutoff: When, paced_out: Any = None, row: Row = None
) -> ColumnElement[bool]:
    """Whether `row` (OutboxMessage itself by default) may be claimed at `now` (module docs);
    a link goes without its parent once created before `link_cutoff` (now - link_wait), or
    when its parent's channel is among `paced_out` (None: none is)."""
    row = OutboxMessage if row is None else row
    other = aliased(OutboxMessage)
    due = or_(
        and_(row.state == OutboxState.PENDING, row.next_attempt_at <= now),
        and_(row.state == OutboxState.SENDING, row.claimed_until < now),
    )
    channel_open = ~exists().where(
        WaitingChannel.channel == row.channel, WaitingChannel.next_try_at > now
    )
    lane_free = or_(
        row.method == RESPOND,
        ~exists().where(
            other.channel == row.channel,
            other.state == literal_column(SENDING_SQL),  # as `ix_outbox_sending` says it
            other.claimed_until >= now,
            other.id != row.id,
        ),
    )
    return and_(due, channel_open, lane_free, _parent_allows(link_cutoff, paced_out, row))


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
    """Deliverable rows among the channels' heads (`_head_rows`), roots and everything outside
    threads before thread lines younger than `LINE_PRIORITY_AGE`, then oldest first.
    Channels in `skip` (in flight here) are left out, and `skip_paced` channels (still
    waiting for their pace) for paced methods only: a link to a root queued there goes
    without waiting `link_wait`. `respond_only` (the workspace is paused) leaves only
    response_url answers."""
    stmt = _candidates_stmt(_on_postgresql(session), bool(skip), bool(skip_paced), respond_only)
    params: dict[str, Any] = {
        "now": now,
        "link_cutoff": now - link_wait,
        "line_cutoff": now - LINE_PRIORITY_AGE,
        "limit": limit,
    }
    if skip:
        params["skip"] = sorted(skip)
    if skip_paced:
        params["skip_paced"] = sorted(skip_paced)
    return [Candidate(*row) for row in session.execute(stmt, params)]


@lru_cache(maxsize=16)
def _candidates_stmt(heads: bool, skipping: bool, skip_paced: bool, respond_only: bool) -> Any:
    """The candidate query, built once per shape, its times and channels bound at each
    call: a pass runs it often, and building it cost the worker more than running it."""
    head = _head_rows() if heads else OutboxMessage
    now, link_cutoff = bindparam("now"), bindparam("link_cutoff")
    paced_out = bindparam("skip_paced", expanding=True) if skip_paced else None
    line = and_(
        head.relation == THREAD,
        head.method != UPDATE_METHOD,
        head.created_at > bindparam("line_cutoff"),
    )
    stmt = select(head.id, head.method, head.channel, head.parent_id, head.relation).where(
        _claimable(now, link_cutoff, paced_out, head)
    )
    if skipping:
        skip = bindparam("skip", expanding=True)
        stmt = stmt.where(or_(head.method == RESPOND, head.channel.not_in(skip)))
    if paced_out is not None:
        paced = head.method.in_(PACED_METHODS)
        stmt = stmt.where(~and_(paced, head.channel.in_(paced_out)))
    if respond_only:
        stmt = stmt.where(head.method == RESPOND)
    return stmt.order_by(case((line, 1), else_=0), head.id).limit(bindparam("limit"))


def paced_channels_due(
    session: Session, now: datetime, channels: set[str], *, link_wait: timedelta
) -> set[str]:
    """Which of `channels` have a paced row deliverable now (the deliverer waits for their
    pace rather than ending its pass)."""
    if not channels:
        return set()
    head = _head_rows() if _on_postgresql(session) else OutboxMessage
    stmt = (
        select(head.channel)
        .where(
            _claimable(now, now - link_wait, row=head),
            head.method.in_(PACED_METHODS),
            head.channel.in_(channels),
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
            OutboxMessage.state == OutboxState.SENDING,
            func.coalesce(
                OutboxMessage.in_doubt_since, OutboxMessage.claimed_at, OutboxMessage.created_at
            ),
        ),
        else_=OutboxMessage.in_doubt_since,
    )
    stmt = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            _claimable(now, now - link_wait, sorted(paced_out) if paced_out else None),
        )
        .values(
            state=OutboxState.SENDING,
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
            .where(OutboxMessage.id.in_(ids), OutboxMessage.state == OutboxState.SENDING)
            .values(claimed_until=until)
        )
    session.commit()


def finish(session: Session, row_id: int, attempt: int, **values: Any) -> bool:
    """Record the outcome of a claimed row (fenced: only while this claim still holds it),
    without committing; False if another claimer took it meanwhile. An outcome clears
    `in_doubt_since` unless `values` keep it (a lookup that could not say)."""
    values.setdefault("in_doubt_since", None)
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.state == OutboxState.SENDING,
            OutboxMessage.attempts == attempt,
        )
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def repost(session: Session, row_id: int, ts: str, payload: dict[str, Any], now: datetime) -> bool:
    """Queue sent row `row_id` to be posted again, with `payload`, as a new message (Slack
    deleted the one at `ts`): its rows in its thread then wait for it and go under the new
    `ts`. Fenced on the old `ts`, so one deletion is reposted once; False if the row is no
    longer that sent message."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.state == OutboxState.SENT,
            OutboxMessage.ts == ts,
        )
        .values(
            state=OutboxState.PENDING,
            payload=payload,
            ts=None,
            permalink=None,
            sent_at=None,
            attempts=0,
            next_attempt_at=now,
            in_doubt_since=None,
            last_error=f"message {ts} was deleted in Slack: posted again",
        )
        .execution_options(synchronize_session=False)
    )
    session.info[OUTBOX_QUEUED] = True
    return bool(result.rowcount)  # type: ignore[attr-defined]


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    ).all()
    return {state: n for state, n in rows}


def failed(session: Session, limit: int = 20) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.FAILED)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
