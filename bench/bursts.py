"""Benchmark: bursts of signed `/churn cancel` commands and signed `/webhooks/signals`, open-loop,
against `python app.py web` and the bare Bolt floor in the same run.

    python -m bench.bursts commands [--rates 20,60,100,150] [--databases sqlite,postgresql]
        [--duration 10] [--accounts 50] [--threads N] [--profile RATE]
    python -m bench.bursts signals [--rate 200] [--duration 5] [--accounts 50]

Every request is sent on schedule (request i at i/rate seconds), to Savedesk and to bare
Bolt alternately, whatever happened to earlier ones; latency runs from the scheduled send
time to the HTTP answer. See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench.harness import (
    APP_NAME,
    DEFAULT_PG_URL,
    DEFAULT_THREADS,
    Process,
    Samples,
    Send,
    account_id,
    case_counts,
    database,
    load_now,
    open_loop,
    post_signal,
    processes,
    savedesk_services,
    seed,
    settle,
    signal_body,
    signals_handled,
    slack_sender,
    start_app,
    start_bare,
    stop_on_sigterm,
)
from bot.runtime.services import Services
from demo.standin import SlackStandin
from demo.standin.sender import SlackSender

PY_SPY = Path(sys.executable).parent / "py-spy"  # optional (pip install py-spy): --profile


@dataclass
class Row:
    rate: float
    database: str
    app: Samples
    bare: Samples
    load: str
    drain_s: float
    handled: int
    sent: int

    def cells(self) -> str:
        a, b = self.app, self.bare
        ratio = a.pct(99) / b.pct(99)
        return (
            f"| {self.rate:g}/s | {self.database} | {a.pct(50):.1f} / {a.pct(95):.1f} / "
            f"{a.pct(99):.1f} | {b.pct(99):.1f} | {ratio:.1f}x | {len(a.failures)} | "
            f"{self.handled}/{self.sent} in +{self.drain_s:.1f} s | {self.load} |"
        )


HEADER = (
    "| rate | database | Savedesk p50 / p95 / p99 (ms) | bare Bolt p99 | p99 ratio "
    "| failures | handled after acks | load |\n|---|---|---|---|---|---|---|---|"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    commands = sub.add_parser("commands", help="/churn cancel at several rates")
    commands.add_argument("--rates", default="20,60,100,150")
    commands.add_argument("--databases", default="sqlite,postgresql")
    commands.add_argument("--duration", type=float, default=10.0, help="seconds per rate")
    commands.add_argument("--profile", type=float, help="py-spy the web process at this rate")
    commands.add_argument("--repeat", type=int, default=1, help="windows per rate (median)")
    signals = sub.add_parser("signals", help="/webhooks/signals on PostgreSQL")
    signals.add_argument("--rate", type=float, default=200.0)
    signals.add_argument("--duration", type=float, default=5.0)
    signals.add_argument(
        "--apart", action="store_true", help="bare Bolt's window first, then Savedesk's"
    )
    for p in (commands, signals):
        p.add_argument("--accounts", type=int, default=50)
        p.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="waitress threads")
        p.add_argument("--pg-url", default=DEFAULT_PG_URL)
        p.add_argument("--env", action="append", default=[], help="NAME=VALUE for app.py")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    stop_on_sigterm()
    logging.basicConfig(level=logging.ERROR)
    extra = dict(item.split("=", 1) for item in args.env)
    extra.setdefault("WEB_THREADS", str(args.threads))
    if args.what == "commands":
        run_commands(args, extra)
    else:
        run_signals(args, extra)


@contextmanager
def stack(
    url: str | None, accounts: int, threads: int, extra: dict[str, str]
) -> Iterator[tuple[SlackStandin, Services, Process, Process]]:
    """Stand-in, a seeded fresh database, `app.py web` with an `app.py worker` beside it (the
    Procfile's deployment) and bare Bolt; all torn down after."""
    with (
        SlackStandin() as standin,
        database(url) as db_url,
        tempfile.TemporaryDirectory() as tmp,
        processes() as started,
    ):
        services = savedesk_services(standin.api_url, db_url)
        try:
            seed(services, accounts)
            started.append(start_app("web", db_url, standin.api_url, Path(tmp), extra))
            started.append(start_bare(standin.api_url, threads, Path(tmp)))
            started.append(start_app("worker", db_url, standin.api_url, Path(tmp), extra))
            yield standin, services, started[0], started[1]
        finally:
            services.db.dispose()


def run_commands(args: argparse.Namespace, extra: dict[str, str]) -> None:
    rates = [float(r) for r in args.rates.split(",")]
    rows: list[Row] = []
    for name in args.databases.split(","):
        url = args.pg_url if name.startswith("postgres") else None
        label = "PostgreSQL" if url else "SQLite"
        with stack(url, args.accounts, args.threads, extra) as (standin, services, app, bare):
            app_sender, bare_sender = slack_sender(app, standin), slack_sender(bare, standin)
            for i in range(20):  # warm-up: imports, connections, first cases
                text = f"cancel {account_id(i % args.accounts)} warm-up {i}"
                app_sender.slash_command(text, user_id="U0CSM")
                bare_sender.slash_command(text, user_id="U0CSM")
            sent = 20
            settle(services, sent)
            for rate in rates:
                windows = []
                for _ in range(args.repeat):
                    row = one_window(
                        args, rate, label, services, app, (app_sender, bare_sender), sent
                    )
                    sent = row.sent
                    windows.append(row)
                    time.sleep(2)  # let the machine settle between windows
                rows.append(median_window(windows))
            report_cases(services, args.accounts)
    print()
    print(
        f"/churn cancel over {args.accounts} accounts, {args.duration:g} s per window, "
        f"median of {args.repeat} window(s) per rate, waitress threads {args.threads} (both)"
    )
    print(HEADER)
    for row in rows:
        print(row.cells())


def one_window(
    args: argparse.Namespace,
    rate: float,
    label: str,
    services: Services,
    app: Process,
    senders: tuple[SlackSender, SlackSender],
    sent: int,
) -> Row:
    """`--duration` seconds of `/churn cancel` at `rate` to both servers, then the drain."""
    count = int(rate * args.duration)
    a, b = Samples("Savedesk"), Samples("bare Bolt")
    targets: list[tuple[Samples, Send]] = [
        (a, cancels(senders[0], args.accounts, sent)),
        (b, cancels(senders[1], args.accounts, sent)),
    ]
    load = load_now()
    with profiling(app, rate == args.profile, args.duration, label, services):
        open_loop(rate, count, targets)
    drain = settle(services, sent + count)
    row = Row(rate, label, a, b, load, drain, signals_handled(services), sent + count)
    print(row.cells(), f"late starts {a.late_starts}/{b.late_starts}", flush=True)
    for failure in a.failures[:3]:
        print(f"    Savedesk: {failure}")
    return row


def median_window(windows: list[Row]) -> Row:
    """The window whose p99 ratio is the median: one noisy window (the machine is shared)
    neither makes nor breaks a rate."""
    ranked = sorted(windows, key=lambda r: r.app.pct(99) / r.bare.pct(99))
    return ranked[len(ranked) // 2]


def cancels(sender: SlackSender, accounts: int, offset: int) -> Send:
    """Request i: `/churn cancel` for account i mod `accounts`."""

    def send(i: int) -> int:
        text = f"cancel {account_id(i % accounts)} budget cut, request {offset + i}"
        return sender.slash_command(text, user_id="U0CSM").status

    return send


def signals_to(process: Process, accounts: int) -> Send:
    """Request i: a signal with a new external id for account `sig-NNN` (i mod `accounts`)."""

    def send(i: int) -> int:
        return post_signal(process.base_url, signal_body(f"sig-{i % accounts:03d}", f"ext-{i}"))

    return send


def report_cases(services: Services, accounts: int) -> None:
    counts = case_counts(services)
    extra = {a: n for a, n in counts.items() if n != 1}
    print(
        f"  cases: {len(counts)} accounts with cases, {sum(counts.values())} cases "
        f"(accounts with more than one: {len(extra)})"
    )


@contextmanager
def profiling(
    app: Process, on: bool, seconds: float, label: str, services: Services
) -> Iterator[None]:
    """py-spy the web process (all threads, idle ones too) while the rate runs, and on
    PostgreSQL sample what the app's connections are doing (pg_stat_activity)."""
    if not on or not PY_SPY.exists():
        yield
        return
    out = Path(tempfile.gettempdir()) / f"bursts-{label.lower()}-{int(time.time())}.txt"
    stop = threading.Event()
    waits: Counter[str] = Counter()
    sampler = threading.Thread(target=sample_activity, args=(services, stop, waits))
    if services.db.is_postgres:
        sampler.start()
    spy = subprocess.Popen(
        [
            str(PY_SPY),
            "record",
            "--pid",
            str(app.popen.pid),
            "--format",
            "raw",
            "--idle",
            "--threads",
            "--rate",
            "200",
            "--duration",
            str(int(seconds) + 1),
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        yield
    finally:
        stop.set()
        spy.wait(timeout=seconds + 30)
        print(f"  py-spy samples (collapsed stacks): {out}")
        if sampler.is_alive():
            sampler.join()
        total = sum(waits.values()) or 1
        print("  app connections in pg_stat_activity (share of samples x connections):")
        for what, n in waits.most_common(12):
            print(f"    {n / total:6.1%}  {what}")


def sample_activity(services: Services, stop: threading.Event, waits: Counter[str]) -> None:
    """Every 10 ms: each app connection's state and wait event (idle in pool, running,
    waiting on a lock, on the client...) and the statement it runs."""
    query = text(
        "SELECT state, coalesce(wait_event_type || ':' || wait_event, 'cpu'), "
        "left(regexp_replace(query, '\\s+', ' ', 'g'), 70) "
        "FROM pg_stat_activity WHERE application_name = :name"
    )
    with services.db.engine.connect() as conn:
        while not stop.wait(0.01):
            for state, wait, sql in conn.execute(query, {"name": APP_NAME}):
                key = state if state == "idle" else f"{state} [{wait}] {sql}"
                waits[key] += 1
            conn.rollback()


def run_signals(args: argparse.Namespace, extra: dict[str, str]) -> None:
    """Unknown accounts on purpose: the first signals for each race to create its stub
    account and its case; exactly one case per account must come out."""
    with stack(args.pg_url, 0, args.threads, extra) as (_standin, services, app, bare):
        count = int(args.rate * args.duration)
        for i in range(10):  # warm-up on other accounts
            post_signal(app.base_url, signal_body(f"warm-{i}", f"warm-{i}"))
            post_signal(bare.base_url, signal_body(f"warm-{i}", f"warm-{i}"))
        a, b = Samples("Savedesk"), Samples("bare Bolt")

        load = load_now()
        targets = [(a, signals_to(app, args.accounts)), (b, signals_to(bare, args.accounts))]
        if args.apart:  # one window each: the sender only has to keep up with one rate
            for target in reversed(targets):
                open_loop(args.rate, count, [target])
        else:
            open_loop(args.rate, count, targets)
        drain = settle(services, count + 10, timeout=30)
        counts = case_counts(services)
        over = sum(1 for n in counts.values() if n != 1)
        print(
            f"/webhooks/signals at {args.rate:g}/s for {args.duration:g} s ({count} each), "
            f"{args.accounts} new accounts, load {load}, waitress threads {args.threads}"
        )
        for s in (a, b):
            print(
                f"  {s.name:10} p50 {s.pct(50):7.1f}  p95 {s.pct(95):7.1f}  p99 "
                f"{s.pct(99):7.1f}  max {max(s.ms):7.1f} ms  over 250 ms: "
                f"{sum(1 for v in s.ms if v >= 250)}  failures {len(s.failures)}  "
                f"late starts {s.late_starts}"
            )
        print(
            f"  p99 ratio {a.pct(99) / b.pct(99):.1f}x; cases: {sum(counts.values())} for "
            f"{len(counts)} accounts, accounts with other than one: {over}; "
            f"drain +{drain:.1f} s"
        )
        print(f"  Savedesk's slowest answer (ms) per half second sent: {a.timeline(args.rate)}")
        for failure in a.failures[:5]:
            print(f"    Savedesk: {failure}")


if __name__ == "__main__":
    main()
