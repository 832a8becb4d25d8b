"""Benchmark: what one webhook signal costs the case-work process — CPU, wall time,
statements and commits — for a signal that creates a stub account and its case, and for
one that attaches to an open case; this code beside a baseline checkout, in one run.

    python -m bench.open_cost                                  # this code only
    python -m bench.open_cost --baseline /path/to/older/checkout --runs 5
    python -m bench.open_cost --databases sqlite,postgresql

Each run is a fresh process (`--measure`) importing the code under test from its
directory, on a fresh database, calling `services.signals.receive` directly: no HTTP, no
case-work processes, so the figure is the unit of work itself. Runs alternate between
the two checkouts; the table shows the lowest and the median of `--runs` runs (CPU time
on this machine varies by about 15 % between identical runs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def measure(url: str | None, creations: int, attaches: int) -> dict[str, float]:
    """In this process, with the code found first on sys.path: per-signal figures."""
    from sqlalchemy import event

    from bench.harness import SlackStandin, database, savedesk_services, signal_body
    from bot.signals.webhook import parse_webhook

    with SlackStandin() as standin, database(url, "opencost") as db_url:
        services = savedesk_services(standin.api_url, db_url)
        receive = services.signals.receive
        receive(parse_webhook(signal_body("warm-up", "warm-up")))
        statements: list[str] = []

        def count(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
            statements.append(sql)

        def committed(_conn: object) -> None:
            statements.append("COMMIT")

        new = [parse_webhook(signal_body(f"new-{n}", f"c-{n}")) for n in range(creations)]
        same = [parse_webhook(signal_body(f"new-{n % 5}", f"a-{n}")) for n in range(attaches)]
        figures: dict[str, float] = {}
        for name, signals in (("creation", new), ("attach", same)):
            event.listen(services.db.engine, "before_cursor_execute", count)
            event.listen(services.db.engine, "commit", committed)
            receive(signals[0])  # the one whose statements are counted
            event.remove(services.db.engine, "before_cursor_execute", count)
            event.remove(services.db.engine, "commit", committed)
            figures[f"{name} statements (COMMIT included)"] = len(statements)
            figures[f"{name} commits"] = statements.count("COMMIT")
            statements.clear()
            wall, cpu = time.perf_counter(), time.process_time()
            for signal in signals[1:]:
                receive(signal)
            done = len(signals) - 1
            figures[f"{name} cpu ms"] = (time.process_time() - cpu) * 1000 / done
            figures[f"{name} wall ms"] = (time.perf_counter() - wall) * 1000 / done
        services.db.dispose()
        return figures


def run_one(app_dir: Path, url: str | None, args: argparse.Namespace) -> dict[str, float]:
    """`--measure` in a fresh process that imports the code under `app_dir`."""
    command = [sys.executable, "-B", str(Path(__file__).resolve()), "--measure"]
    command += ["--creations", str(args.creations), "--attaches", str(args.attaches)]
    if url:
        command += ["--url", url]
    env = {**os.environ, "PYTHONPATH": str(app_dir)}
    done = subprocess.run(command, env=env, cwd=app_dir, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{app_dir}: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(database: str, results: dict[str, list[dict[str, float]]]) -> None:
    names = list(results)
    print(f"\n{database}: per signal, lowest / median of {len(results[names[0]])} runs")
    header = " | ".join(names)
    print(f"| figure | {header} |" + (" baseline ÷ now |" if len(names) == 2 else ""))
    print("|---|" + "---|" * len(names) + ("---|" if len(names) == 2 else ""))
    for key in results[names[0]][0]:
        cells, lows = [], []
        for name in names:
            values = [run[key] for run in results[name]]
            low, median = min(values), statistics.median(values)
            lows.append(low)
            cells.append(f"{low:.0f}" if "ms" not in key else f"{low:.2f} / {median:.2f}")
        ratio = f" {lows[1] / lows[0]:.2f}x |" if len(names) == 2 and lows[0] else ""
        print(f"| {key} | " + " | ".join(cells) + " |" + ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="an older checkout to compare with")
    parser.add_argument("--databases", default="postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--creations", type=int, default=200)
    parser.add_argument("--attaches", type=int, default=600)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.url, args.creations, args.attaches)))
        return
    checkouts = {"now": REPO} | ({"baseline": args.baseline} if args.baseline else {})
    for database in args.databases.split(","):
        url = args.pg_url if database == "postgresql" else None
        results: dict[str, list[dict[str, float]]] = {name: [] for name in checkouts}
        for _ in range(args.runs):
            for name, app_dir in checkouts.items():
                results[name].append(run_one(app_dir, url, args))
        report(database, results)


if __name__ == "__main__":
    main()
