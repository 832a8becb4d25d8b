"""Case queries: open cases per track, load per person, lists, timeline, idempotency keys."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, or_, select
from sqlalchemy.orm import Session

from storage.models import (
    OPEN_STATUSES,
    Account,
    AccountEvent,
    Case,
    CaseEvent,
    InboundEvent,
    OutboxMessage,
)
from storage.vocab import CaseEventType, CaseScope

_INSERT_EVENT = insert(CaseEvent.__table__)
_INSERT_INBOUND = insert(InboundEvent.__table__)
_ROOTS = "savedesk_roots"  # session.info: root row id -> the row, for one unit of work


def get(session: Session, case_id: int) -> Case | None:
    return session.get(Case, case_id)


def get_locked(session: Session, case_id: int) -> Case | None:
    """The case read afresh, its row locked until the unit of work ends (PostgreSQL: FOR
    UPDATE; SQLite's unit of work holds the database's write lock already): the one way to
    load a case for a change, as its `details` are rewritten whole by many writers (a copy
    read unlocked and written back drops what another committed meanwhile). Lock the case
    before other rows a change locks (a survey answer, a check-in), as every writer does,
    so none waits on another crosswise."""
    return session.get(Case, case_id, with_for_update=True, populate_existing=True)


def open_case(session: Session, account_id: int, track: str) -> Case | None:
    """The account's open case of a track, with its thread's root row loaded in the same
    statement (kept for the unit of work, see `root_message`): whoever looks up an open
    case is about to add to its thread, so the case is read afresh and locked, as
    `get_locked` does (its `details` are rewritten by every line)."""
    stmt = (
        select(Case, OutboxMessage)
        .outerjoin(OutboxMessage, OutboxMessage.id == Case.root_message_id)
        .where(Case.account_id == account_id, Case.track == track, Case.status.in_(OPEN_STATUSES))
        .with_for_update(of=Case)  # as `get_locked`: a ladder step may be rewriting it
        .execution_options(populate_existing=True)
    )
    row = session.execute(stmt).first()
    if row is None:
        return None
    case, root = row
    if root is not None:
        session.info.setdefault(_ROOTS, {})[root.id] = root
    return case


def latest_case(session: Session, account_id: int, track: str, status: str) -> Case | None:
    """The account's most recent case of a track in a given status (e.g. moved on)."""
    stmt = (
        select(Case)
        .where(Case.account_id == account_id, Case.track == track, Case.status == status)
        .order_by(Case.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def open_cases_of_account(session: Session, account_id: int, *, lock: bool = False) -> list[Case]:
    """`lock`: read afresh and locked, as `get_locked`, for a change to each (in id order,
    so two such changes never wait on each other crosswise)."""
    stmt = select(Case).where(Case.account_id == account_id, Case.status.in_(OPEN_STATUSES))
    if lock:
        stmt = stmt.order_by(Case.id).with_for_update()
        stmt = stmt.execution_options(populate_existing=True)
    return list(session.scalars(stmt))


def open_case_counts(
    session: Session, people: Iterable[str]
) -> dict[str, tuple[int, datetime | None]]:
    """Open cases and the last assignment time for each person (for round-robin by load)."""
    people = list(people)
    result: dict[str, tuple[int, datetime | None]] = {p: (0, None) for p in people}
    if not people:
        return result
    rows = session.execute(
        select(
            Case.owner,
            func.count().filter(Case.status.in_(OPEN_STATUSES)),
            func.max(Case.assigned_at),
        )
        .where(Case.owner.in_(people))
        .group_by(Case.owner)
    )
    for person, open_count, last_assigned in rows:
        result[person] = (int(open_count or 0), last_assigned)
    return result


def add_event(
    session: Session,
    case: Case,
    *,
    at: datetime,
    actor: str | None,
    type: CaseEventType,
    text: str,
    details: dict[str, Any] | None = None,
) -> None:
    """A timeline event, inserted at once (nothing reads the row back): a plain INSERT costs
    a fraction of a flushed ORM object, and every signal in a burst adds one."""
    values = {
        "case_id": case.id,
        "at": at,
        "actor": actor,
        "type": type,
        "text": text,
        "details": details or {},
    }
    with session.no_autoflush:  # rows already queued (thread replies) go in together later
        session.execute(_INSERT_EVENT, values)


def events(session: Session, case_id: int) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    return list(session.scalars(stmt))


def root_message(session: Session, case: Case) -> OutboxMessage | None:
    """The case thread's root row. Kept for the unit of work: the session only holds loaded
    rows weakly, so without this every thread line of one change would load it again."""
    if not case.root_message_id:
        return None
    roots = session.info.setdefault(_ROOTS, {})
    root = roots.get(case.root_message_id)
    if root is None:
        root = roots[case.root_message_id] = session.get(OutboxMessage, case.root_message_id)
    return root


def case_of_root(session: Session, message_id: int) -> Case | None:
    """The case whose thread root is outbox row `message_id`, if any."""
    return session.scalar(select(Case).where(Case.root_message_id == message_id).limit(1))


def set_root(session: Session, case: Case, root: OutboxMessage) -> None:
    """Make `root` (flushed: it has its id) the case thread's root, kept for the unit of
    work like a loaded one."""
    case.root_message_id = root.id
    session.info.setdefault(_ROOTS, {})[root.id] = root


def permalinks(session: Session, cases: Iterable[Case]) -> dict[int, str | None]:
    ids = {c.root_message_id: c.id for c in cases if c.root_message_id}
    if not ids:
        return {}
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.permalink).where(OutboxMessage.id.in_(ids))
    ).all()
    return {ids[row_id]: link for row_id, link in rows}


def listing(
    session: Session, *, scope: str, user: str | None, limit: int
) -> tuple[list[tuple[Case, Account]], int]:
    """Cases newest first for a scope (mine / open / all), and how many there are in all."""
    stmt = select(Case, Account).join(Account, Account.id == Case.account_id)
    if scope in (CaseScope.MINE, CaseScope.OPEN):
        stmt = stmt.where(Case.status.in_(OPEN_STATUSES))
    if scope == CaseScope.MINE:
        stmt = stmt.where(or_(Case.owner == user, Case.csm == user))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit))
    return [(c, a) for c, a in rows], total


def seen(session: Session, source: str, external_id: str) -> Row[tuple[int | None]] | None:
    """Whether an idempotency key was remembered: None, or a row whose `case_id` is the
    case it belongs to (None for a key that made no case, e.g. a prompt). Only that column
    is read: every signal asks."""
    stmt = select(InboundEvent.case_id).where(
        InboundEvent.source == source, InboundEvent.external_id == external_id
    )
    return session.execute(stmt).first()


def remember(
    session: Session, source: str, external_id: str, case_id: int | None, now: datetime
) -> None:
    """Remember an idempotency key, inserted at once: a concurrent duplicate raises
    IntegrityError here, before any other work of the unit of work."""
    values = {"source": source, "external_id": external_id, "case_id": case_id, "received_at": now}
    session.execute(_INSERT_INBOUND, values)


def add_account_event(
    session: Session, account: Account, at: datetime, actor: str | None, type: str, text: str
) -> None:
    session.add(AccountEvent(account_id=account.id, at=at, actor=actor, type=type, text=text))


def open_case_holders(session: Session) -> set[str]:
    """Everyone who owns or is the CSM of an open case (Slack user IDs)."""
    open_ = Case.status.in_(OPEN_STATUSES)
    owners = select(Case.owner).where(open_, Case.owner.is_not(None))
    csms = select(Case.csm).where(open_, Case.csm.is_not(None))
    return {user for (user,) in session.execute(owners.union(csms)) if user}


def open_cases_held_by(session: Session, user: str) -> list[Case]:
    """Open cases `user` owns or is the CSM of, oldest first."""
    stmt = (
        select(Case)
        .where(Case.status.in_(OPEN_STATUSES), (Case.owner == user) | (Case.csm == user))
        .order_by(Case.id)
    )
    return list(session.scalars(stmt))
