"""Benchmark: one delivery pass's candidate query, each channel's head against every row.

Fills the outbox as a burst of cases leaves it (per case: the root in the cases channel,
two thread lines, the owner's DM linking to it, the confirmation on a response_url), with
100, 1,000 and 10,000 unsent rows, and times the candidate query a delivery pass runs
(storage/outbox.py `candidates`, which reads each channel's first rows from
`ix_outbox_heads`) against the query it replaced (kept here only: every claimable row
sorted), in the same run, printing medians and ratios. Not a test: see bench/README.md.

    .venv/bin/python -m bench.outbox_pass [--database-url postgresql+psycopg://…]
        [--sizes 100 1000 10000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import and_, case, select
from sqlalchemy.orm import Session

from bench.harness import database
from bot import outbox
from bot.outbox.deliverer import CANDIDATES, LINK_WAIT
from storage import outbox as rows
from storage.db import Database
from storage.models import OutboxMessage

CREATED = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
NOW = CREATED + timedelta(seconds=10)  # the DMs' and confirmations' link wait is over
OWNERS = 5
ROWS_PER_CASE = 5


def old_candidates(session: Session, now: datetime) -> list[rows.Candidate]:
    """The candidate query before `ix_outbox_heads` (0016): every claimable row, sorted."""
    line = and_(
        OutboxMessage.relation == rows.THREAD,
        OutboxMessage.method != rows.UPDATE_METHOD,
        OutboxMessage.created_at > now - rows.LINE_PRIORITY_AGE,
    )
    stmt = (
        select(
            OutboxMessage.id,
            OutboxMessage.method,
            OutboxMessage.channel,
            OutboxMessage.parent_id,
            OutboxMessage.relation,
        )
        .where(rows._claimable(now, LINK_WAIT))
        .order_by(case((line, 1), else_=0), OutboxMessage.id)
        .limit(CANDIDATES)
    )
    return [rows.Candidate(*row) for row in session.execute(stmt)]


def new_candidates(session: Session, now: datetime) -> list[rows.Candidate]:
    return rows.candidates(
        session,
        now,
        link_wait=LINK_WAIT,
        skip=set(),
        skip_paced=set(),
        respond_only=False,
        limit=CANDIDATES,
    )


def fill(db: Database, size: int) -> None:
    with db.session() as session:
        for n in range(size // ROWS_PER_CASE):
            root = outbox.post(session, CREATED, "C0CASES", f"case {n}", keep_permalink=True)
            outbox.reply(session, CREATED, root, "first line", flush=False)
            outbox.reply(session, CREATED, root, "second line", flush=False)
            owner = f"U0OWNER{n % OWNERS}"
            outbox.linked(session, CREATED, owner, root, "You own it: {thread_link}", flush=False)
            url = f"https://hooks.slack.com/commands/T0/{n}"
            outbox.respond(session, CREATED, url, "Opened: {thread_link}", link_to=root)


def timed(db: Database, query: Callable[[Session, datetime], list[rows.Candidate]]) -> float:
    with db.read() as session:
        started = time.perf_counter()
        query(session, NOW)
        return (time.perf_counter() - started) * 1000


def first_per_channel(found: list[rows.Candidate]) -> dict[str, int]:
    """What a pass would start: the first row of each channel (every response_url answer)."""
    firsts: dict[str, int] = {}
    for c in found:
        firsts.setdefault(c.channel if c.method != rows.RESPOND else f"respond {c.id}", c.id)
    return firsts


def run(url: str | None, sizes: list[int], repeat: int) -> None:
    print(f"{'unsent rows':>12} {'every row (ms)':>15} {'heads (ms)':>11} {'ratio':>7}")
    for size in sizes:
        with database(url, "outbox_pass") as fresh:
            db = Database(fresh)
            db.migrate()
            fill(db, size)
            with db.read() as session:
                old, new = old_candidates(session, NOW), new_candidates(session, NOW)
            same = first_per_channel(old) == {
                k: v for k, v in first_per_channel(new).items() if k in first_per_channel(old)
            }
            olds, news = [], []
            for _ in range(repeat):  # interleaved: both see the same machine
                olds.append(timed(db, old_candidates))
                news.append(timed(db, new_candidates))
            db.dispose()
        old_ms, new_ms = statistics.median(olds), statistics.median(news)
        note = "" if same else "  (the passes would start different rows!)"
        print(f"{size:>12,} {old_ms:>15.2f} {new_ms:>11.2f} {old_ms / new_ms:>6.1f}x{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    run(args.database_url, args.sizes, args.repeat)


if __name__ == "__main__":
    main()
