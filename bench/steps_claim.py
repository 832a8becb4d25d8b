"""Benchmark: claiming and completing due scheduled steps in a large table.

Fills `scheduled_steps` with 1,000,000 rows (10,000 due now, the rest in the future), then
times the claim's selection alone, the claim loop and the StepRunner over the due steps
under four index layouts — none, the 0001 index (state, due_at), the 0002 claim index,
both — printing the plan, steps per second and ratios measured in this one run. Not a
test: see bench/README.md.

    .venv/bin/python -m bench.steps_claim [POSTGRES_URL] [--rows N] [--due N] [--queue]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, text, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.common.clock import FakeClock
from bot.runtime.steps import LEASE, StepRunner
from storage import steps
from storage.db import Database
from storage.models import OutboxMessage, ScheduledStep
from tests.schemas import fresh_schema

T = TypeVar("T")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
BATCH = 500
CHUNK = 50_000
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite
OLD_INDEX = "CREATE INDEX ix_steps_due ON scheduled_steps (state, due_at)"  # 0001, dropped by 0002
CLAIM_INDEX = next(ix for ix in ScheduledStep.__table__.indexes if ix.name == "ix_steps_claim")
LAYOUTS: dict[str, tuple[str, ...]] = {
    "no index": (),
    "0001 ix_steps_due (state, due_at)": ("ix_steps_due",),
    "0002 ix_steps_claim (as migrated)": ("ix_steps_claim",),
    "both (had 0002 kept 0001)": ("ix_steps_due", "ix_steps_claim"),
}
PICKS = 20  # times the pick query runs alone


def main() -> None:
    args = parse_args()
    print(f"{args.rows:,} scheduled steps, {args.due:,} due; batches of {BATCH}\n")
    with tempfile.TemporaryDirectory() as tmp:
        bench("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    if not Database(args.url).ping():
        print(f"PostgreSQL: not reachable at {args.url}, skipped")
        return
    with fresh_schema(args.url, "bench") as url:
        bench("PostgreSQL", url, args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--queue", action="store_true", help="handler queues an outbox message")
    return parser.parse_args()


def bench(name: str, url: str, args: argparse.Namespace) -> None:
    db = Database(url)
    try:
        db.migrate()
        started = time.perf_counter()
        fill(db, args.rows, args.due)
        elapsed = time.perf_counter() - started
        print(f"== {name}: inserted {args.rows:,} rows in {elapsed:.1f}s")
        results = {layout: run_layout(db, layout, args) for layout in LAYOUTS}
        report(name, results)
    finally:
        db.dispose()


def fill(db: Database, rows: int, due: int) -> None:
    """Every (rows // due)-th row is due within the last hour; the rest spread over 90 days."""
    every = max(rows // due, 1)
    if db.is_postgres:
        fill_postgres(db, rows, every)
    else:
        fill_sqlite(db, rows, every)


def fill_postgres(db: Database, rows: int, every: int) -> None:
    sql = """
        INSERT INTO scheduled_steps (key, kind, due_at, state, payload, created_at)
        SELECT 'bench:' || n, 'nudge',
               CASE WHEN n % :every = 0 THEN :now - (n % 3600) * interval '1 second'
                    ELSE :now + interval '1 minute' + (n % 129600) * interval '1 minute' END,
               'pending', '{}'::json, :now
        FROM generate_series(1, :rows) AS n
    """
    with db.engine.begin() as conn:
        conn.execute(text(sql), {"rows": rows, "every": every, "now": NOW})
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE scheduled_steps"))


def fill_sqlite(db: Database, rows: int, every: int) -> None:
    created = NOW.strftime(SQLITE_TIME)

    def row(n: int) -> tuple[str, str, str]:
        if n % every == 0:
            due = NOW - timedelta(seconds=n % 3600)
        else:
            due = NOW + timedelta(minutes=1 + n % 129_600)
        return (f"bench:{n}", due.strftime(SQLITE_TIME), created)

    sql = (
        "INSERT INTO scheduled_steps (key, kind, due_at, state, payload, created_at)"
        " VALUES (?, 'nudge', ?, 'pending', '{}', ?)"
    )
    with db.engine.begin() as conn:
        for start in range(1, rows + 1, CHUNK):
            chunk = [row(n) for n in range(start, min(start + CHUNK, rows + 1))]
            conn.exec_driver_sql(sql, chunk)


def run_layout(db: Database, layout: str, args: argparse.Namespace) -> dict[str, float]:
    set_indexes(db, LAYOUTS[layout])
    print(f"\n-- {layout}")
    with db.session() as session:
        print(indent(steps.explain_claim(session, now=NOW, limit=BATCH, lease=LEASE)))
    reset_due(db)
    pick_s, _ = timed(lambda: pick_repeatedly(db))
    claim_s, claimed = timed(lambda: claim_all(db))
    reset_due(db)
    handler = queue_handler if args.queue else noop_handler
    runner = StepRunner(db, FakeClock(NOW), {"nudge": handler}, max_per_run=10**9)
    run_s, report = timed(lambda: runner.run_due(limit=BATCH))
    assert claimed == report.done == args.due, (claimed, report)
    print(f"   pick query:  {pick_s / PICKS * 1000:8.2f} ms per batch of {BATCH} (select only)")
    print(f"   claim only:  {rate(claimed, claim_s)}")
    print(f"   StepRunner:  {rate(report.done, run_s)}  (claim + handler + done, one commit each)")
    return {"pick": pick_s, "claim": claim_s, "run": run_s}


def set_indexes(db: Database, wanted: tuple[str, ...]) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DROP INDEX IF EXISTS ix_steps_due"))
        CLAIM_INDEX.drop(conn, checkfirst=True)
        if "ix_steps_due" in wanted:
            conn.execute(text(OLD_INDEX))
        if "ix_steps_claim" in wanted:
            CLAIM_INDEX.create(conn)
    analyze(db)


def reset_due(db: Database) -> None:
    """Put the due steps back to pending, so every layout claims the same rows."""
    with db.engine.begin() as conn:
        conn.execute(
            update(ScheduledStep)
            .where(ScheduledStep.due_at <= NOW, ScheduledStep.state != "pending")
            .values(state="pending", claimed_until=None, done_at=None, attempts=0)
        )
        conn.execute(delete(OutboxMessage))
    analyze(db)


def analyze(db: Database) -> None:
    """PostgreSQL: vacuum away the previous run's dead rows (autovacuum would, in time).
    SQLite is left without statistics, as a deployment that never runs ANALYZE is."""
    if db.is_postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE scheduled_steps"))


def pick_repeatedly(db: Database) -> None:
    """The claim's selection alone (what the index changes), without the writes."""
    with db.session() as session:
        for _ in range(PICKS):
            assert len(session.scalars(steps.due_ids(NOW, BATCH)).all()) == BATCH


def claim_all(db: Database) -> int:
    total = 0
    while True:
        with db.session() as session:
            batch = steps.claim_due(session, now=NOW, limit=BATCH, lease=LEASE)
        if not batch:
            return total
        total += len(batch)


def noop_handler(session: Session, step: ScheduledStep, now: datetime) -> None:
    """Does nothing; the step's transaction still commits its done mark."""


def queue_handler(session: Session, step: ScheduledStep, now: datetime) -> None:
    outbox.post(session, now, "C0BENCH", f"nudge {step.key}")


def timed(work: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def report(name: str, results: dict[str, dict[str, float]]) -> None:
    base = results["no index"]
    print(f"\n== {name}: speed-up over no index (same run)")
    for layout, times in results.items():
        ratios = "   ".join(f"{k} x{base[k] / times[k]:6.1f}" for k in ("pick", "claim", "run"))
        print(f"   {layout:<36} {ratios}")
    old = results["0001 ix_steps_due (state, due_at)"]
    new = results["0002 ix_steps_claim (as migrated)"]
    ratios = "   ".join(f"{k} x{old[k] / new[k]:.1f}" for k in ("pick", "claim", "run"))
    print(f"   0002 claim index vs 0001 index:      {ratios}\n")


def rate(count: int, seconds: float) -> str:
    return f"{count:,} steps in {seconds:6.2f}s = {count / seconds:9,.0f} steps/s"


def indent(plan: str) -> str:
    return "\n".join("   | " + line for line in plan.splitlines())


if __name__ == "__main__":
    main()
