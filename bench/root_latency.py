"""Benchmark: from a signed `/webhooks/signals` request to the case thread's root message
arriving in the Slack stand-in, per deployment.

    python -m bench.root_latency [--deployments all,split] [--database-url …] [--n 20]
        [--gap 2.5] [--sqlite]

`all` is `python app.py` (web and scheduler in one process); `split` is `python app.py web`
beside `python app.py worker`. Each signal names a different account, so each opens a case
whose root goes to the cases channel; signals are `--gap` seconds apart so that the
channel's pacing (one post per second) of the previous case's thread lines never holds the
next root back: what is measured is the path from the request to Slack, not pacing.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    DEFAULT_PG_URL,
    Process,
    database,
    load_now,
    percentile,
    post_signal,
    processes,
    savedesk_services,
    seed,
    signal_body,
    start_app,
    stop_on_sigterm,
)
from demo.standin import Call, SlackStandin

CASES_CHANNEL = "C0CASES"  # policy.example.toml's channels.cases


class TimedStandin(SlackStandin):
    """The stand-in, noting when each call arrived (perf_counter seconds)."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, Call]] = []
        super().__init__()

    def _record(self, call: Call) -> None:
        self.arrivals.append((time.perf_counter(), call))
        super()._record(call)

    def root_arrival(self, name: str, after: float, timeout: float) -> float | None:
        """When the cases-channel root naming `name` arrived (None: not within timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, call in list(self.arrivals):
                if at >= after and is_root(call, name):
                    return at
            time.sleep(0.002)
        return None


def is_root(call: Call, name: str) -> bool:
    args = call.args
    return (
        call.method == "chat.postMessage"
        and args.get("channel") == CASES_CHANNEL
        and not args.get("thread_ts")
        and name in json.dumps(args)
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", default="all,split")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead (all only)")
    parser.add_argument("--n", type=int, default=20, help="signals per deployment")
    parser.add_argument("--gap", type=float, default=2.5, help="seconds between signals")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for app.py")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    stop_on_sigterm()
    logging.basicConfig(level=logging.ERROR)
    extra = dict(item.split("=", 1) for item in args.env)
    url = None if args.sqlite else args.database_url
    for deployment in args.deployments.split(","):
        measure(deployment, url, args, extra)


def measure(deployment: str, url: str | None, args: argparse.Namespace, extra: dict) -> None:
    with (
        TimedStandin() as standin,
        database(url) as db_url,
        tempfile.TemporaryDirectory() as tmp,
        processes() as started,
    ):
        services = savedesk_services(standin.api_url, db_url)
        seed(services, args.n + 1)
        services.db.dispose()
        logs = Path(tmp)
        if deployment == "split":
            started.append(start_app("worker", db_url, standin.api_url, logs, extra))
            started.append(start_app("web", db_url, standin.api_url, logs, extra))
        else:
            started.append(start_app("all", db_url, standin.api_url, logs, extra))
        web = started[-1]
        wait_for_scheduler(standin, web, timeout=15)
        answers, roots, missing = [], [], 0
        load = load_now()
        for k in range(1, args.n + 1):
            name = f"Bench Customer {k:03d}"
            sent = time.perf_counter()
            status = post_signal(web.base_url, signal_body(f"bench-{k:03d}", f"root-{k}"))
            answers.append((time.perf_counter() - sent) * 1000)
            arrived = standin.root_arrival(name, sent, timeout=10) if status == 201 else None
            if arrived is None:
                missing += 1
            else:
                roots.append((arrived - sent) * 1000)
            time.sleep(args.gap)
        report(deployment, url, answers, roots, missing, load)


def wait_for_scheduler(standin: TimedStandin, web: Process, timeout: float) -> None:
    """The first signal's root proves the scheduler is leading (a worker may still be
    taking the lock); it is not counted."""
    sent = time.perf_counter()
    post_signal(web.base_url, signal_body("bench-000", "root-warm-up"))
    if standin.root_arrival("Bench Customer 000", sent, timeout) is None:
        raise RuntimeError(f"no case root within {timeout} s:\n{web.tail()}")
    time.sleep(2.0)


def report(
    deployment: str,
    url: str | None,
    answers: list[float],
    roots: list[float],
    missing: int,
    load: str,
) -> None:
    what = "python app.py" if deployment == "all" else "app.py web + app.py worker"
    db = "PostgreSQL" if url else "SQLite"
    print(f"{what} on {db}, {len(answers)} signals, load {load}")
    print(
        f"  webhook answer  p50 {percentile(answers, 50):7.1f}  p95 "
        f"{percentile(answers, 95):7.1f} ms"
    )
    if roots:
        print(
            f"  root visible    p50 {percentile(roots, 50):7.1f}  p95 "
            f"{percentile(roots, 95):7.1f}  max {max(roots):7.1f} ms  (missing {missing})",
            flush=True,
        )
    else:
        print(f"  root visible: none of {missing} arrived", flush=True)


if __name__ == "__main__":
    main()
