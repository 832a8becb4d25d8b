"""Benchmark: the revenue-at-risk report over a big book of business.

Builds 100,000 accounts and 1,000,000 cases (with offers, turnover plans, churn surveys and
invoices; see bench/report_data.py) on SQLite and PostgreSQL, then times the report the
product computes (SQL aggregates over indexes, `bot.reports.figures.compute`) side by side
with a naive version that loads every row into Python and adds up there, checks that both
give the same figures, and prints each query's plan. Not a test: see bench/README.md.

    .venv/bin/python -m bench.report [POSTGRES_URL] [--accounts N] [--cases N] [--runs N]
                                     [--no-naive] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bench.report_data import Book, load
from bench.report_tables import create_missing_tables
from bot.policy import Policy
from bot.reports.figures import compute, previous_window, window
from bot.reports.models import Report
from storage import report_payment as payments
from storage import report_stages as stages
from storage import report_trust as trust
from storage import reports as queries
from storage.db import Database
from storage.models import Case
from storage.report_sources import invoices, plan_steps, survey_answers, turnovers
from storage.report_stages import STAGES
from tests.schemas import fresh_schema

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
TARGET_MS = 500


def main() -> None:
    args = parse_args()
    print(f"{args.accounts:,} accounts, {args.cases:,} cases; report of the week to {NOW}\n")
    book = Book(args.accounts, args.cases, NOW)  # generated once, loaded into each database
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            bench("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args, book)
    if args.only in (None, "postgresql"):
        if not Database(args.url).ping():
            print(f"PostgreSQL: not reachable at {args.url}, skipped")
            return
        with fresh_schema(args.url, "bench") as url:
            bench("PostgreSQL", url, args, book)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the report")
    parser.add_argument("--no-naive", dest="naive", action="store_false")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    return parser.parse_args()


def bench(name: str, url: str, args: argparse.Namespace, book: Book) -> None:
    db = Database(url)
    policy = Policy.defaults()
    try:
        db.migrate()
        created = create_missing_tables(db)
        started = time.perf_counter()
        counts = load(db, book)
        built = time.perf_counter() - started
        print(
            f"== {name}: built in {built:.0f}s: "
            + ", ".join(f"{t} {n:,}" for t, n in counts.items())
        )
        if created:
            print(f"   (tables created by the bench, not yet by migrations: {', '.join(created)})")
        runs: dict[str, list[tuple[float, Report]]] = {label: [] for label in VARIANTS}
        for _ in range(args.runs + 1):  # alternating, so all see the same machine load
            for label in VARIANTS:
                runs[label].append(timed_report(db, policy, label))
        medians = {}
        for label in VARIANTS:
            times = [t for t, _ in runs[label][1:]]  # the first run warms up
            median = medians[label] = statistics.median(times) * 1000
            verdict = "under" if median < TARGET_MS else "OVER"
            print(
                f"   {label}: median {median:.0f} ms, min {min(times) * 1000:.0f} ms over "
                f"{args.runs} runs ({verdict} the {TARGET_MS} ms target)"
            )
        today, full = medians[TODAY], medians[FULL]
        print(f"   the full report over today's: {full / today:.2f}x (+{full - today:.0f} ms)")
        report = runs[FULL][-1][1]
        print(f"   lasted and net: {trust_summary(report)}")
        print(f"   stage times: {stage_summary(report)}")
        print_query_times(db)
        if args.naive:
            started = time.perf_counter()
            naive = naive_report(db, policy)
            slow = time.perf_counter() - started
            same = naive == headline(report)
            print(
                f"   naive (load every row, add up in Python): {slow * 1000:,.0f} ms, "
                f"{slow * 1000 / full:,.0f}x slower; same figures: {same}"
            )
            if not same:
                print(f"     SQL:   {headline(report)}\n     naive: {naive}")
        print_plans(db)
        print()
    finally:
        db.dispose()


TODAY = "today's report (before issue 25: no lasted, net, stage times or trend)"
FULL = "the full report (also stage times and the previous period)"
VARIANTS: dict[str, dict[str, bool]] = {
    TODAY: {"trusted": False, "stages": False, "trend": False},
    "with saves that lasted and net of concessions": {"stages": False, "trend": False},
    FULL: {},
}
"""The reports timed in the same run: `compute`'s switches for each (bot/reports/figures.py)."""


def timed_report(db: Database, policy: Policy, variant: str = FULL) -> tuple[float, Report]:
    """The week's report as `variant` (a VARIANTS label) computes it, and its time in s."""
    started = time.perf_counter()
    with db.read() as session:
        report = compute(session, policy, "week", NOW, **VARIANTS[variant])
    return time.perf_counter() - started, report


def stage_summary(report: Report) -> str:
    """Overall medians / p90 in hours, and the previous week's medians."""
    parts = []
    for stage in STAGES:
        line, was = report.stage(stage), report.previous and report.previous.stage(stage)
        if line is not None:
            before = f", before {was.median / 3600:.1f}" if was else ""
            parts.append(
                f"{stage} {line.median / 3600:.1f}/{line.p90 / 3600:.1f} h ({line.cases}{before})"
            )
    slow = len(report.slowest or ())
    return "; ".join(parts) + f"; {slow} slowest open cases named"


def trust_summary(report: Report) -> str:
    """The new figures of the last run, so a change in them shows."""
    lasted = ", ".join(
        f"{c.days}d {c.still}/{c.saves} still ({c.churned} churned, {c.unanswered} unanswered)"
        for c in report.lasted or ()
    )
    return f"net {report.net_saved} (concessions {report.concessions}); {lasted}"


def headline(report: Report) -> dict[str, object]:
    """The figures both versions compute, for the equality check."""
    f = report.overall
    return {
        "saved": (f.saved, f.arr_saved),
        "churned": (f.churned, f.arr_churned, f.involuntary),
        "moved_on": (f.moved_on, f.arr_moved_on),
        "open": (f.open, f.arr_at_risk, f.arr_high_risk),
        "plans": (f.plan_done, f.plan_steps),
        "causes": sorted((r.key, r.count) for r in f.root_causes),
        "payment": (report.payment.open, report.payment.overdue),
    }


def _queries(session: Session) -> dict[str, object]:
    span = window("week", NOW)
    return {
        "closed in the week": lambda: queries.closed(session, span),
        "open now": lambda: queries.open_now(session),
        "plans": lambda: queries.plans(session),
        "involuntary": lambda: queries.involuntary(session, span),
        "root causes": lambda: queries.root_causes(session, span),
        "competitors": lambda: queries.competitors(session, span),
        "payment cases": lambda: payments.payment_cases(session),
        "overdue by step": lambda: payments.overdue_by_step(session, NOW.date()),
        "main currency": lambda: queries.main_currency(session),
        "net of concessions": lambda: trust.net(session, span),
        "stage times": lambda: stages.stage_times(session, span),
        "stage times, the week before": lambda: stages.stage_times(session, previous_window(span)),
        "slowest open": lambda: stages.slowest_open(session),
        "open as the week began": lambda: queries.open_at(session, span.start),
        "payment cases, now and as the week began": lambda: payments.payment_cases(
            session, span.start
        ),
        "overdue by step, now and as the week began": lambda: payments.overdue_now_and_at(
            session, NOW.date(), span.start, span.start.date(), (30, 60, 90)
        ),
        "closed the week before": lambda: queries.closed(session, previous_window(span)),
        **{
            f"lasted {days}d": lambda days=days: trust.cohort(session, span, days)
            for days in (90, 180, 365)
        },
    }


def print_query_times(db: Database) -> None:
    """Where the time goes: each query alone (median of 3)."""
    with db.read() as session:
        parts = []
        for label, run in _queries(session).items():
            times = []
            for _ in range(3):
                started = time.perf_counter()
                run()  # type: ignore[operator]
                times.append(time.perf_counter() - started)
            parts.append(f"{label} {statistics.median(times) * 1000:.1f}")
    print("   per query (ms): " + ", ".join(parts))


def naive_report(db: Database, policy: Policy) -> dict[str, object]:
    """What a report without SQL aggregates does: read every row, then add up in Python."""
    span = window("week", NOW)
    with db.read() as session:
        cases = session.execute(select(Case.__table__)).all()
        steps = session.execute(select(plan_steps)).all()
        owners = dict(session.execute(select(turnovers.c.id, turnovers.c.case_id)).all())
        surveys = session.execute(select(survey_answers)).all()
        bills = session.execute(select(invoices)).all()
    churn = [c for c in cases if c.track == "churn"]
    closed = [c for c in churn if c.closed_at is not None and span.start <= c.closed_at <= span.end]
    opened = [c for c in churn if c.status in ("new", "acknowledged", "working")]
    open_ids = {c.id for c in opened}
    by_status = {s: [c for c in closed if c.status == s] for s in ("saved", "churned", "moved_on")}
    churned_ids = {c.id for c in by_status["churned"]}
    latest: dict[int, int] = {}
    for s in surveys:
        latest[s.case_id] = max(latest.get(s.case_id, 0), s.churn_number)
    recent = [
        s for s in surveys if s.case_id in churned_ids and s.churn_number == latest[s.case_id]
    ]
    mine = [s for s in steps if owners.get(s.turnover_id) in open_ids]
    overdue = [b for b in bills if b.status == "open" and b.due_date < NOW.date()]

    def arr(rows: list, column: str = "arr_at_risk") -> Decimal:
        return sum((Decimal(getattr(r, column) or 0) for r in rows), Decimal(0))

    causes = Counter(s.root_cause for s in recent if s.root_cause)
    return {
        "saved": (len(by_status["saved"]), arr(by_status["saved"], "arr_saved")),
        "churned": (
            len(by_status["churned"]),
            arr(by_status["churned"]),
            len({s.case_id for s in recent if s.involuntary}),
        ),
        "moved_on": (len(by_status["moved_on"]), arr(by_status["moved_on"])),
        "open": (len(opened), arr(opened), arr([c for c in opened if c.risk == "high"])),
        "plans": (sum(1 for s in mine if s.done), len(mine)),
        "causes": sorted(causes.most_common(5)),
        "payment": (
            sum(
                1
                for c in cases
                if c.track == "payment" and c.status in ("new", "acknowledged", "working")
            ),
            arr(overdue, "amount_remaining").quantize(Decimal("0.01")),
        ),
    }


def print_plans(db: Database) -> None:
    """Each query's plan: EXPLAIN (ANALYZE) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite."""
    with db.read() as session:
        captured: list[tuple[str, str, dict]] = []
        _capture(session, captured)
        for label, run in _queries(session).items():
            captured.clear()
            run()  # type: ignore[operator]
            for sql, params in [(s, p) for _, s, p in captured]:
                prefix = (
                    "EXPLAIN (ANALYZE, COSTS OFF) " if db.is_postgres else "EXPLAIN QUERY PLAN "
                )
                plan = session.connection().exec_driver_sql(prefix + sql, params).all()
                lines = [str(r[-1]) if not db.is_postgres else str(r[0]) for r in plan]
                print(f"   plan: {label}\n      " + "\n      ".join(lines))


def _capture(session: Session, into: list[tuple[str, str, dict]]) -> None:
    """Record each compiled statement the report queries run (literal parameters bound)."""
    conn = session.connection()

    def hook(*args: object) -> None:
        statement, params = str(args[2]), args[3]
        catalog = "pg_catalog" in statement or "sqlite_" in statement
        if statement.lstrip().upper().startswith("SELECT") and not catalog:
            into.append(("", statement, params))  # type: ignore[arg-type]

    event.listen(conn, "before_cursor_execute", hook)


if __name__ == "__main__":
    main()
