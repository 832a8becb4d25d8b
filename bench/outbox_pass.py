"""Benchmark: one delivery pass's candidate query, each channel's head against every row.

Fills the outbox as a burst of cases leaves it (per case: the root in the cases channel,
two thread lines, the owner's DM linking to it, the confirmation on a response_url), with
100, 1,000 and 10,000 unsent rows, and times the candidate query a delivery pass runs
(storage/outbox.py `candidates`, which reads each channel's first rows from
`ix_outbox_heads`) against the query it replaced (kept here only: every claimable row
sorted) on the indexes it had (two copies of the table, the old one without the 0018
indexes), in the same run, printing medians and ratios: first as a burst leaves the table
(no statistics yet: autovacuum analyzes a table at most once a minute), then after
`ANALYZE` (PostgreSQL only). Not a test: see bench/README.md.

    .venv/bin/python -m bench.outbox_pass [--database-url postgresql+psycopg://…]
        [--sizes 100 1000 10000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import and_, case, select, text
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
    """The candidate query before `ix_outbox_heads` (0018): every claimable row, sorted."""
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
        .where(rows._claimable(now, now - LINK_WAIT))
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


def same_start(old: list[rows.Candidate], new: list[rows.Candidate]) -> bool:
    """A pass would start the same rows: the first of each channel, and response_url
    answers oldest first (the heads hold fewer of those: the next pick takes the rest)."""

    def firsts(found: list[rows.Candidate]) -> tuple[dict[str, int], list[int]]:
        channels: dict[str, int] = {}
        for c in found:
            if c.method != rows.RESPOND:
                channels.setdefault(c.channel, c.id)
        return channels, [c.id for c in found if c.method == rows.RESPOND]

    (old_channels, old_answers), (new_channels, new_answers) = firsts(old), firsts(new)
    return old_channels == new_channels and old_answers[: len(new_answers)] == new_answers


def copies(url: str | None, size: int) -> Iterator[tuple[Database, Database]]:
    """The table filled twice: as migrated, and without the 0018 indexes (the old query's)."""
    with database(url, "outbox_pass") as new_url, database(url, "outbox_pass_old") as old_url:
        new_db, old_db = Database(new_url), Database(old_url)
        for db in (new_db, old_db):
            db.migrate()
            fill(db, size)
        with old_db.session() as session:
            for index in ("ix_outbox_heads", "ix_outbox_sending"):
                session.execute(text(f"DROP INDEX {index}"))
        try:
            yield new_db, old_db
        finally:
            new_db.dispose()
            old_db.dispose()


def medians(new_db: Database, old_db: Database, repeat: int) -> tuple[float, float]:
    """Median ms of each query, interleaved so both see the same machine (a query slower
    than a second runs 3 times)."""
    olds, news = [timed(old_db, old_candidates)], [timed(new_db, new_candidates)]
    runs = repeat if max(olds[0], news[0]) < 1000 else 3
    for _ in range(runs - 1):
        olds.append(timed(old_db, old_candidates))
        news.append(timed(new_db, new_candidates))
    return statistics.median(olds), statistics.median(news)


def run(url: str | None, sizes: list[int], repeat: int) -> None:
    header = ("unsent rows", "statistics", "every row (ms)", "heads (ms)", "ratio")
    print("{:>12} {:>10} {:>15} {:>11} {:>7}".format(*header))
    for size in sizes:
        with contextmanager(copies)(url, size) as (new_db, old_db):
            with new_db.read() as new_s, old_db.read() as old_s:
                same = same_start(old_candidates(old_s, NOW), new_candidates(new_s, NOW))
            note = "" if same else "  (the passes would start different rows!)"
            stages = ["none", "analyzed"] if url else ["none"]
            for stage in stages:
                if stage == "analyzed":
                    for db in (new_db, old_db):
                        with db.session() as session:
                            session.execute(text("ANALYZE outbox_messages"))
                old_ms, new_ms = medians(new_db, old_db, repeat)
                print(
                    f"{size:>12,} {stage:>10} {old_ms:>15.2f} {new_ms:>11.2f} "
                    f"{old_ms / new_ms:>6.1f}x{note}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    run(args.database_url, args.sizes, args.repeat)


if __name__ == "__main__":
    main()
