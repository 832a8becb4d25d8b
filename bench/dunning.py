"""Benchmark: the dunning ladder over many open invoices.

Fills `invoices` with 100,000 open invoices (1,000 of them due a ladder step today, the
rest due one in the next 90 days), then, with `ix_invoices_ladder` and without it (the
same run), prints the ladder query's plan and times: the query alone, the ladder pass
that finds the due invoices and schedules their steps, and the StepRunner claiming and
running those steps with the real handler (DMs and a finance-channel line queued in the
outbox). SQLite, then PostgreSQL when reachable. Not a test: see bench/README.md.

    .venv/bin/python -m bench.dunning [POSTGRES_URL] [--invoices N] [--due N]
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

from sqlalchemy import delete, text

from bot.common.clock import FakeClock
from bot.finance.dunning import DunningLadder, today_in
from bot.people.team import Team
from bot.policy import parse_policy
from bot.runtime.steps import LEASE, StepRunner
from storage import finance, steps
from storage.db import Database
from storage.models import Invoice, OutboxMessage, ScheduledStep
from tests.schemas import fresh_schema

T = TypeVar("T")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
POLICY = parse_policy(
    'timezone = "America/New_York"\n[channels]\nfinance = "C0FIN"\n'
    '[roles]\ncontroller = ["U0CTRL"]\ncfo = ["U0CFO"]\n',
    "bench-policy.toml",
)
TODAY = today_in(POLICY, NOW)
TEAM = Team(roles={"controller": ("U0CTRL",), "cfo": ("U0CFO",)})
LADDER_INDEX = next(ix for ix in Invoice.__table__.indexes if ix.name == "ix_invoices_ladder")
ACCOUNTS = 1000
PICKS = 20
CHUNK = 50_000


def main() -> None:
    args = parse_args()
    print(f"{args.invoices:,} open invoices, {args.due:,} due a step on {TODAY}\n")
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
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    return parser.parse_args()


def bench(name: str, url: str, args: argparse.Namespace) -> None:
    db = Database(url)
    try:
        db.migrate()
        started = time.perf_counter()
        fill(db, args.invoices, max(args.invoices // args.due, 1))
        print(f"== {name}: inserted {args.invoices:,} invoices in {elapsed(started):.1f}s")
        runs = [(indexed, run_layout(db, indexed, args.due)) for indexed in (True, False) * 2]
        with_index = best([r for indexed, r in runs if indexed])
        without = best([r for indexed, r in runs if not indexed])
        print(f"\n== {name}: with the index vs without (best of two rounds each, same run)")
        for key in ("query", "pass", "claim", "run"):
            ratio = without[key] / with_index[key]
            print(
                f"   {key:<6} {with_index[key] * 1000:9.1f} ms vs {without[key] * 1000:9.1f} ms"
                f"   x{ratio:.1f}"
            )
        print()
    finally:
        db.dispose()


def fill(db: Database, invoices: int, every: int) -> None:
    """Every `every`-th invoice reached its 30-day step today or in the last 4 days; the
    others reach it in 1 to 90 days. 1,000 accounts, one CSM each."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (external_id, name, currency, csm, is_stub, created_at,"
                " updated_at) VALUES (:e, :n, 'USD', 'U0CSM', false, :t, :t)"
            ),
            [{"e": f"acct-{i}", "n": f"Account {i}", "t": NOW} for i in range(1, ACCOUNTS + 1)],
        )
        first = conn.execute(text("SELECT min(id) FROM accounts")).scalar_one()
        sql = (
            "INSERT INTO invoices (invoice_id, account_id, amount_due, amount_remaining,"
            " currency, due_date, status, source, dunning_days, next_step_on, created_at,"
            " updated_at) VALUES (:i, :a, 1000, 1000, 'USD', :d, 'open', 'csv', 0, :s, :t, :t)"
        )
        for start in range(1, invoices + 1, CHUNK):
            rows = [row(n, every, first) for n in range(start, min(start + CHUNK, invoices + 1))]
            conn.execute(text(sql), rows)
    analyze(db)


def row(n: int, every: int, first_account: int) -> dict[str, object]:
    step_on = TODAY - timedelta(days=n % 5) if n % every == 0 else TODAY + timedelta(1 + n % 90)
    return {
        "i": f"INV-{n}",
        "a": first_account + n % ACCOUNTS,
        "d": step_on - timedelta(days=30),
        "s": step_on,
        "t": NOW,
    }


def run_layout(db: Database, indexed: bool, due: int) -> dict[str, float]:
    with db.engine.begin() as conn:
        conn.execute(text("DROP INDEX IF EXISTS ix_invoices_ladder"))
        if indexed:
            LADDER_INDEX.create(conn)
    db.engine.dispose()  # SQLite: no connection keeps statements prepared for the old schema
    reset(db)
    print(f"\n-- {'with ix_invoices_ladder' if indexed else 'index dropped'}")
    with db.session() as session:
        print(indent(finance.explain_ladder(session, TODAY, 500)))
    query_s, _ = timed(lambda: pick_repeatedly(db))
    ladder = DunningLadder(db, POLICY, lambda: TEAM)
    pass_s, report = timed(lambda: ladder.schedule_due(NOW))
    with db.session() as session:
        plan = steps.explain_claim(session, now=NOW, limit=500, lease=LEASE)
    claim_s, claimed = timed(lambda: claim_all(db))
    unclaim(db)
    runner = StepRunner(db, FakeClock(NOW), ladder.handlers(), max_per_run=10**9)
    run_s, ran = timed(lambda: runner.run_due(limit=500))
    with db.read() as session:
        messages = session.query(OutboxMessage).count()
    assert report.invoices == report.scheduled == claimed == ran.done == due, (report, ran)
    print(f"   ladder query: {query_s / PICKS * 1000:8.2f} ms (select of up to 500 due invoices)")
    print(f"   ladder pass:  {pass_s * 1000:8.1f} ms to find {due:,} due invoices and schedule")
    print(f"   claim only:   {claim_s * 1000:8.1f} ms to claim the {claimed:,} due steps")
    print(
        f"   StepRunner:   {run_s * 1000:8.1f} ms to claim and run {ran.done:,} steps, "
        f"{messages:,} messages queued"
    )
    print("   claim plan (scheduled_steps):")
    print(indent(plan))
    return {"query": query_s / PICKS, "pass": pass_s, "claim": claim_s, "run": run_s}


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: min(run[key] for run in runs) for key in runs[0]}


def claim_all(db: Database) -> int:
    total = 0
    while True:
        with db.session() as session:
            batch = steps.claim_due(session, now=NOW, limit=500, lease=LEASE)
        if not batch:
            return total
        total += len(batch)


def unclaim(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE scheduled_steps SET state = 'pending', claimed_until = NULL, attempts = 0")
        )


def reset(db: Database) -> None:
    """Undo a previous layout's pass so each layout does the same work."""
    with db.engine.begin() as conn:
        conn.execute(delete(ScheduledStep))
        conn.execute(delete(OutboxMessage))
        conn.execute(
            text(
                "UPDATE invoices SET dunning_days = 0, next_step_on = due_date + 30"
                if db.is_postgres
                else "UPDATE invoices SET dunning_days = 0,"
                " next_step_on = date(due_date, '+30 days')"
            )
        )
    analyze(db)


def analyze(db: Database) -> None:
    """PostgreSQL: fresh statistics and no dead rows. SQLite is left without statistics,
    as a deployment that never runs ANALYZE is."""
    if db.is_postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE invoices"))
            conn.execute(text("VACUUM ANALYZE scheduled_steps"))


def pick_repeatedly(db: Database) -> None:
    with db.read() as session:
        for _ in range(PICKS):
            assert session.scalars(finance.ladder_due_query(TODAY, 500)).all()


def timed(work: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = work()
    return elapsed(started), result


def elapsed(started: float) -> float:
    return time.perf_counter() - started


def indent(plan: str) -> str:
    return "\n".join("   | " + line for line in plan.splitlines())


if __name__ == "__main__":
    main()
