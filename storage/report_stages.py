"""Stage times as SQL (docs/reports.md, *Stage times*): how long each stage of the save motion took
for the clocks that stopped in a window, as median and p90 per kind, per owner and over
all churn-track cases; and the open cases whose clock has run longest.

Four clocks, each a (start, stop) pair of stored UTC times:

- acknowledge: case opened (`cases.created_at`) → first act of its owner or a manager
  (`cases.acknowledged_at`);
- first_offer: case opened → its first save offer proposed (`offers.created_at`);
- decision: an offer that needed an approver proposed → approved, rejected or countered
  (`offers.decided_at`);
- close: case opened → saved, churned or moved on (`cases.closed_at`).

PostgreSQL computes the percentiles itself (`percentile_cont` over GROUPING SETS, one
query for every stage and group); SQLite has no percentile function, so it returns the
window's durations and `percentile` interpolates them the same way in Python.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    exists,
    func,
    literal,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from storage.models import OPEN_STATUSES, Account, Case, Offer
from storage.reports import CHURN, Window, _epoch, open_cases
from storage.vocab import OfferStatus

STAGES = ("acknowledge", "first_offer", "decision", "close")
NO_APPROVAL = "none"
BATCH = 2000


@dataclass(frozen=True)
class StageGroup:
    """One stage's durations over one group: `by` is "all", "kind" or "owner" and `key`
    the kind or owner (None: all, or cases without an owner); seconds."""

    stage: str
    by: str
    key: str | None
    cases: int
    median: float
    p90: float


@dataclass(frozen=True)
class Waiting:
    """An open case whose `stage` clock has run since `since` (UTC) and not stopped."""

    stage: str
    case_id: int
    account: str
    account_name: str
    kind: str
    owner: str | None
    since: datetime


def _between(column: Any, window: Window) -> Any:
    return and_(column.is_not(None), column >= window.start, column <= window.end)


def clocks(session: Session, window: Window) -> list[Select[Any]]:
    """One SELECT per stage of (stage, case_id, kind, owner, status, started, stopped,
    seconds) for the churn-track clocks that stopped in `window`."""

    def secs(stop: Any, start: Any) -> Any:
        return (_epoch(session, stop) - _epoch(session, start)).label("seconds")

    def cols(stage: str, start: Any, stop: Any) -> list[Any]:
        return [
            literal(stage).label("stage"),
            Case.id.label("case_id"),
            Case.kind.label("kind"),
            Case.owner.label("owner"),
            Case.status.label("status"),
            start.label("started"),
            stop.label("stopped"),
            secs(stop, start),
        ]

    earlier = aliased(Offer)
    first = ~exists().where(
        earlier.case_id == Offer.case_id,
        (earlier.created_at < Offer.created_at)
        | ((earlier.created_at == Offer.created_at) & (earlier.id < Offer.id)),
    )
    churn = Case.track == CHURN
    return [
        select(*cols("acknowledge", Case.created_at, Case.acknowledged_at)).where(
            churn, _between(Case.acknowledged_at, window)
        ),
        select(*cols("first_offer", Case.created_at, Offer.created_at))
        .join(Case, Case.id == Offer.case_id)
        .where(churn, _between(Offer.created_at, window), first),
        select(*cols("decision", Offer.created_at, Offer.decided_at))
        .join(Case, Case.id == Offer.case_id)
        .where(churn, _between(Offer.decided_at, window), Offer.approver != NO_APPROVAL),
        select(*cols("close", Case.created_at, Case.closed_at)).where(
            churn, _between(Case.closed_at, window)
        ),
    ]


def stage_times(session: Session, window: Window) -> list[StageGroup]:
    """Median and p90 of each stage over the clocks that stopped in `window`: overall, per
    kind and per owner (a stage or group without a stopped clock is absent)."""
    every = union_all(*clocks(session, window)).subquery("clocks")
    if session.get_bind().dialect.name == "postgresql":
        return _on_postgres(session, every)
    durations: dict[tuple[str, str, str | None], list[float]] = defaultdict(list)
    rows = session.execute(select(every.c.stage, every.c.kind, every.c.owner, every.c.seconds))
    for stage, kind, owner, seconds in rows:
        value = max(float(seconds), 0.0)
        for by, key in (("all", None), ("kind", kind), ("owner", owner)):
            durations[(stage, by, key)].append(value)
    return [
        StageGroup(stage, by, key, len(v), percentile(v, 0.5), percentile(v, 0.9))
        for (stage, by, key), v in durations.items()
    ]


def _on_postgres(session: Session, every: Any) -> list[StageGroup]:
    c = every.c
    seconds = func.greatest(c.seconds, 0.0)
    stmt = select(
        c.stage,
        c.kind,
        c.owner,
        func.grouping(c.kind, c.owner),
        func.count(),
        func.percentile_cont(0.5).within_group(seconds),
        func.percentile_cont(0.9).within_group(seconds),
    ).group_by(
        func.grouping_sets(tuple_(c.stage, c.kind), tuple_(c.stage, c.owner), tuple_(c.stage))
    )
    by = {1: "kind", 2: "owner", 3: "all"}
    out = []
    for stage, kind, owner, grouped, n, median, p90 in session.execute(stmt):
        key = kind if grouped == 1 else owner if grouped == 2 else None
        out.append(StageGroup(stage, by[grouped], key, n, float(median), float(p90)))
    return out


def percentile(values: Sequence[float], fraction: float) -> float:
    """PostgreSQL's `percentile_cont`: linear interpolation between the two values around
    position `fraction * (n - 1)` of the sorted values. Raises ValueError when empty."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def slowest_open(session: Session, limit: int = 3) -> list[Waiting]:
    """Per stage, the `limit` open churn cases whose clock has run longest: not yet
    acknowledged, no offer yet, an offer waiting for its approver, not yet closed."""
    listed = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    is_open = text(f"cases.status IN ({listed})")
    has_offer = exists().where(Offer.case_id == Case.id)
    queries = {
        "acknowledge": (Case.created_at, [Case.acknowledged_at.is_(None)], False),
        "first_offer": (Case.created_at, [~has_offer], False),
        "decision": (Offer.created_at, [Offer.status == OfferStatus.PENDING, is_open], True),
        "close": (Case.created_at, [], False),
    }
    out: list[Waiting] = []
    for stage, (since, where, offers) in queries.items():
        stmt = select(
            Case.id, Account.external_id, Account.name, Case.kind, Case.owner, since
        ).join(Account, Account.id == Case.account_id)
        if offers:
            stmt = stmt.join(Offer, Offer.case_id == Case.id).where(Case.track == CHURN, *where)
        else:
            stmt = stmt.where(open_cases(), *where)
        stmt = stmt.order_by(since, Case.id).limit(limit)
        out += [Waiting(stage, *row) for row in session.execute(stmt)]
    return out


def clock_rows(session: Session, window: Window) -> Iterator[dict[str, Any]]:
    """The case-level rows behind the stage times (CSV figure `stage_<stage>`): each clock
    that stopped in `window`, with the account, when it started and stopped, in hours."""
    every = union_all(*clocks(session, window)).subquery("clocks")
    stmt = (
        select(
            every,
            Account.external_id.label("account"),
            Account.name.label("account_name"),
        )
        .join(Case, Case.id == every.c.case_id)
        .join(Account, Account.id == Case.account_id)
        .order_by(every.c.stage, every.c.stopped, every.c.case_id)
    )
    for row in session.execute(stmt.execution_options(yield_per=BATCH)).mappings():
        yield {
            **row,
            "figure": f"stage_{row['stage']}",
            "stage_started_at": row["started"],
            "stage_stopped_at": row["stopped"],
            "stage_hours": round(max(float(row["seconds"]), 0.0) / 3600, 2),
        }
