"""Benchmark: a long steady load on `python app.py web`, sampling the process's memory.

    python -m bench.soak [--rate 50] [--duration 600] [--every 10] [--sqlite]

Open-loop `/churn cancel` over --accounts accounts to Savedesk and to bare Bolt (the same
run, the same schedule); every --every seconds it prints both processes' RSS and the
Savedesk latencies of the last interval. The growth that counts is from the first sample
(after a warm-up) to the last: a leak grows with the requests served, so it shows as a
steady climb; a plateau is caches and pools filling.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bursts import cancels
from bench.harness import (
    DEFAULT_PG_URL,
    DEFAULT_THREADS,
    Process,
    Samples,
    database,
    load_now,
    open_loop,
    percentile,
    processes,
    savedesk_services,
    seed,
    settle,
    signals_handled,
    slack_sender,
    start_app,
    start_bare,
    stop_on_sigterm,
)
from demo.standin import SlackStandin


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--duration", type=float, default=600.0, help="seconds")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--database-url", default=DEFAULT_PG_URL)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for app.py")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    stop_on_sigterm()
    logging.basicConfig(level=logging.ERROR)
    extra = dict(item.split("=", 1) for item in args.env)
    extra.setdefault("WEB_THREADS", str(args.threads))
    url = None if args.sqlite else args.database_url
    with (
        SlackStandin() as standin,
        database(url) as db_url,
        tempfile.TemporaryDirectory() as tmp,
        processes() as started,
    ):
        services = savedesk_services(standin.api_url, db_url)
        try:
            seed(services, args.accounts)
            app = start_app("web", db_url, standin.api_url, Path(tmp), extra)
            started.append(app)
            bare = start_bare(standin.api_url, args.threads, Path(tmp))
            started.append(bare)
            soak(args, standin, app, bare)
            count = int(args.rate * args.duration)
            drain = settle(services, count)
            print(f"handled after acks: {signals_handled(services)}/{count} (+{drain:.1f} s)")
        finally:
            services.db.dispose()


def soak(args: argparse.Namespace, standin: SlackStandin, app: Process, bare: Process) -> None:
    a, b = Samples("Savedesk"), Samples("bare Bolt")
    count = int(args.rate * args.duration)
    targets = [
        (a, cancels(slack_sender(app, standin), args.accounts, 0)),
        (b, cancels(slack_sender(bare, standin), args.accounts, 0)),
    ]
    done = threading.Event()
    rows: list[tuple[float, int, int, int]] = []
    sampler = threading.Thread(target=sample, args=(args.every, app, bare, a, rows, done))
    print(
        f"soak: {args.rate:g}/s for {args.duration:g} s ({count} requests each), load {load_now()}"
    )
    print(
        f"{'t (s)':>6} {'Savedesk RSS':>13} {'case work':>10} {'bare RSS':>10} {'p50':>7} "
        f"{'p99':>7} {'load':>5}"
    )
    sampler.start()
    try:
        open_loop(args.rate, count, targets)
    finally:
        done.set()
        sampler.join()
    first, last = rows[0], rows[-1]
    peak = max(r[1] for r in rows)
    print(
        f"Savedesk RSS {first[1] / 1024:.1f} MB at {first[0]:.0f} s -> {last[1] / 1024:.1f} MB at "
        f"{last[0]:.0f} s: growth {(last[1] - first[1]) / 1024:+.1f} MB (peak "
        f"{peak / 1024:.1f} MB); case-work processes {first[3] / 1024:.1f} -> "
        f"{last[3] / 1024:.1f} MB ({(last[3] - first[3]) / 1024:+.1f} MB); bare Bolt "
        f"{(last[2] - first[2]) / 1024:+.1f} MB"
    )
    print(
        f"latency over the run: Savedesk p50 {a.pct(50):.1f} p99 {a.pct(99):.1f} ms, bare "
        f"p99 {b.pct(99):.1f} ms, failures {len(a.failures)}/{len(b.failures)}"
    )


def sample(
    every: float,
    app: Process,
    bare: Process,
    a: Samples,
    rows: list[tuple[float, int, int, int]],
    done: threading.Event,
) -> None:
    started, seen = time.monotonic(), 0
    while True:
        stopped = done.wait(every)
        window, seen = a.ms[seen:], len(a.ms)
        row = (time.monotonic() - started, app.rss_kb(), bare.rss_kb(), app.children_rss_kb())
        rows.append(row)
        p50 = percentile(window, 50) if window else float("nan")
        p99 = percentile(window, 99) if window else float("nan")
        print(
            f"{row[0]:6.0f} {row[1] / 1024:10.1f} MB {row[3] / 1024:7.1f} MB "
            f"{row[2] / 1024:7.1f} MB {p50:7.1f} "
            f"{p99:7.1f} {load_now():>5}",
            flush=True,
        )
        if stopped:
            return


if __name__ == "__main__":
    main()
