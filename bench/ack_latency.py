"""Benchmark: how long Slack waits for `/churn cancel` to be acknowledged, Savedesk vs bare Bolt.

One process runs the Slack stand-in and two servers on waitress + Bolt's Flask adapter: the
real app (build_services + build_bolt_app + create_web_app on a temporary SQLite database,
or a fresh schema in --database-url) and a bare Bolt app whose /churn only calls ack(). It
sends --n signed `/churn cancel <account> <reason>` requests to each, interleaved so both
see the same machine, and times each until its HTTP response (the acknowledgement) arrives.
Accounts repeat every --accounts requests, so the app both opens cases and attaches signals.
The commands' jobs run on threads of this process (`python app.py` runs them in a worker
process of its own); --worker also runs the scheduler (due steps every 5 s, the outbox every
1 s) beside the web server. Not a test: see bench/README.md.

    .venv/bin/python -m bench.ack_latency [--n 300] [--accounts 40] [--warmup 20]
        [--database-url postgresql+psycopg://…] [--worker]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask
from sqlalchemy import func, select
from waitress.server import create_server

from bench.bare_bolt import bare_app
from bench.harness import (
    SECRET,
    SLACK_DEADLINE_MS,
    account_id,
    database,
    percentile,
    savedesk_services,
    seed,
    settle,
    signals_handled,
)
from bot.runtime.jobs import JobLoop
from bot.runtime.scheduler import run_with_lock
from bot.runtime.services import Services
from bot.runtime.settings import DEFAULT_WEB_THREADS
from demo.standin import SlackStandin
from demo.standin.sender import SlackSender
from handlers.slack_app import build_bolt_app
from handlers.web import create_web_app
from storage.models import Case

THREADS = DEFAULT_WEB_THREADS  # as `python app.py web` serves
TARGET_P99_MS = 300.0
TARGET_P50_RATIO = 1.5


@dataclass
class Server:
    """A WSGI app served by waitress on a free port, in a background thread."""

    name: str
    sender: SlackSender
    close: Callable[[], None]
    samples: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def record(self, elapsed_ms: float, status: int) -> None:
        self.samples.append(elapsed_ms)
        if status != 200 or elapsed_ms > SLACK_DEADLINE_MS:
            self.failures.append(f"HTTP {status} after {elapsed_ms:.0f} ms")


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.ERROR)  # failures are counted and reported below
    with SlackStandin() as standin, database(args.database_url) as url:
        services = savedesk_services(standin.api_url, url)
        try:
            seed(services, args.accounts)
            with serving(standin, services, args.worker) as (app, bare):
                run(app, bare, args)
                settle(services, args.warmup + args.n, timeout=60)
            report(app, bare, args, services)
            print(pre_ack_cost(services, args.accounts))
        finally:
            services.db.dispose()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="timed requests per server")
    parser.add_argument("--accounts", type=int, default=40, help="distinct accounts (cases)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per server")
    parser.add_argument("--database-url", help="PostgreSQL URL (a fresh schema is used)")
    parser.add_argument("--worker", action="store_true", help="also run the scheduler, as `app.py`")
    return parser.parse_args()


# -- the database and the two servers -----------------------------------------------------


@contextmanager
def serving(
    standin: SlackStandin, services: Services, worker: bool
) -> Iterator[tuple[Server, Server]]:
    app = serve("Savedesk", create_web_app(services, build_bolt_app(services)), standin)
    bare = serve("bare Bolt", bare_app(standin.api_url), standin)
    stop = threading.Event()
    scheduler = threading.Thread(target=run_with_lock, args=(services, stop), daemon=True)
    jobs = JobLoop(services.jobs, services.health)  # the commands' jobs, on threads here
    jobs.start()
    if worker:
        scheduler.start()
    try:
        yield app, bare
    finally:
        if worker:
            drain(services, stop, scheduler)
        jobs.stop()
        app.close()
        bare.close()


def serve(name: str, web: Flask, standin: SlackStandin) -> Server:
    server = create_server(web, host="127.0.0.1", port=0, threads=THREADS)
    thread = threading.Thread(target=run_quietly, args=(server,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    sender = SlackSender(base, SECRET, response_url_factory=standin.new_response_url)

    def close() -> None:
        server.close()
        thread.join(timeout=5)

    return Server(name, sender, close)


def run_quietly(server: Any) -> None:
    """waitress's loop sees its sockets vanish when closed from another thread."""
    with contextlib.suppress(OSError):
        server.run()


def drain(services: Services, stop: threading.Event, scheduler: threading.Thread) -> None:
    """Stop the worker. Its delivery job finishes the queue before it returns, so stop pacing
    (1 post/s per channel) first, or the run would end minutes later."""
    services.deliverer.pacer.sleep = lambda _seconds: None
    stop.set()
    scheduler.join(timeout=120)


# -- measuring ----------------------------------------------------------------------------


def run(app: Server, bare: Server, args: argparse.Namespace) -> None:
    """Alternate which server goes first, so neither always follows the other's work."""
    for i in range(args.warmup + args.n):
        text = f"cancel {account_id(i % args.accounts)} budget cut, request {i}"
        pair = (app, bare) if i % 2 == 0 else (bare, app)
        for server in pair:
            elapsed, status = timed_request(server.sender, text)
            if i >= args.warmup:
                server.record(elapsed, status)


def timed_request(sender: SlackSender, text: str) -> tuple[float, int]:
    """Milliseconds until the HTTP answer (Bolt answers once ack() is called), and its status."""
    started = time.perf_counter()
    response = sender.slash_command(text, user_id="U0CSM")
    return (time.perf_counter() - started) * 1000, response.status


def report(app: Server, bare: Server, args: argparse.Namespace, services: Services) -> None:
    database_name = "PostgreSQL" if services.db.is_postgres else "SQLite"
    worker = "; with the scheduler (outbox delivery)" if args.worker else ""
    print(
        f"/churn cancel: {args.n} timed requests per server after {args.warmup} warm-up, "
        f"interleaved; {database_name}; waitress threads={THREADS}{worker}"
    )
    print(f"{'':12}{'p50':>10}{'p90':>10}{'p99':>10}{'max':>10}  not acked in 3 s")
    for server in (app, bare):
        figures = [percentile(server.samples, p) for p in (50, 90, 99)] + [max(server.samples)]
        cells = "".join(f"{v:8.1f}ms" for v in figures)
        print(f"{server.name:12}{cells}  {len(server.failures)}")
    p50 = percentile(app.samples, 50) / percentile(bare.samples, 50)
    p99 = percentile(app.samples, 99) / percentile(bare.samples, 99)
    print(f"{'app / bare':12}{p50:9.2f}x{'':10}{p99:9.2f}x")
    for failure in app.failures[:5]:
        print(f"  Savedesk not acknowledged in time: {failure}")
    print(after_acks(services, args.warmup + args.n))
    app_p99 = percentile(app.samples, 99)
    print(f"target p99(app) < {TARGET_P99_MS:.0f} ms: {verdict(app_p99 < TARGET_P99_MS)}")
    print(f"target p50 ratio <= {TARGET_P50_RATIO}: {verdict(p50 <= TARGET_P50_RATIO)}")


def after_acks(services: Services, sent: int) -> str:
    with services.db.session() as session:
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
    handled = signals_handled(services)
    return (
        f"app work after the acks: {cases} cases opened, {handled - cases} signals attached "
        f"({handled} of {sent} requests handled)"
    )


def pre_ack_cost(services: Services, accounts: int, rounds: int = 500) -> str:
    """The only work the app does before ack(): looking the typed account up (one query)."""
    samples = []
    for i in range(rounds):
        started = time.perf_counter()
        services.cases.find_account(account_id(i % accounts))
        samples.append((time.perf_counter() - started) * 1000)
    return (
        f"before ack() the app only looks the account up: p50 {percentile(samples, 50):.2f} ms,"
        f" p99 {percentile(samples, 99):.2f} ms (in-process, idle)"
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    main()
