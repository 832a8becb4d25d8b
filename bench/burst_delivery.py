"""Benchmark: a burst of new cases at once, and when what they say lands in Slack.

    python -m bench.burst_delivery [--cases 80] [--deployment all|split] [--database-url …]
        [--sqlite] [--timeout 240]

Seeds `--cases` accounts, each with an account owner of its own (so each case's owner DM
goes to a different person, as in a real burst), starts Savedesk as deployed (`python
app.py`, or `web` + `worker`), sends one signed `/churn cancel` per account all at once and
watches the Slack stand-in, which keeps Slack's pace for posts in one channel (429 with
Retry-After beyond a short burst, `SlackStandin.limit_posts`). From the moment the burst
was sent it prints when each kind of message arrived (p50 / p95 / max, and how many):

- the confirmation to the person who typed the command (response_url),
- the owner's DM,
- the case thread's root in the cases channel, beside the floor Slack's pace allows for
  that many posts in one channel,
- the link that follows (the DM edited, a second confirmation) once the root is posted,
- any thread lines (a new case has none since its opening line is on its root), and any
  429 the stand-in had to answer.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from bench.harness import (
    APP_DIR,
    DEFAULT_PG_URL,
    POLICY_FILE,
    REPO,
    SECRET,
    TOKEN,
    app_env,
    database,
    free_port,
    load_now,
    percentile,
    processes,
    savedesk_services,
    slack_sender,
    start_app,
    stop_on_sigterm,
)
from bot.outbox import BURST, POST_PACE_SECONDS
from bot.policy import load_policy
from bot.runtime.settings import load_settings
from demo.standin import Call, SlackStandin
from demo.standin.records import HttpReply
from storage import accounts as accounts_store
from storage.db import Database
from storage.models import Case
from wiring import build_services

CASES_CHANNEL = "C0CASES"  # policy.example.toml's channels.cases
STANDIN_BURST = BURST + 1  # the stand-in's Slack is a little looser than the pacer


class ArrivalStandin(SlackStandin):
    """The stand-in, noting when each call and each response_url answer arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, Call]] = []
        self.answers: list[tuple[float, str, dict]] = []
        super().__init__()

    def _record(self, call: Call) -> None:
        self.arrivals.append((time.perf_counter(), call))
        super()._record(call)

    def _response_post(self, url: str, body: bytes) -> HttpReply:
        reply = super()._response_post(url, body)
        if reply.status == 200:
            self.answers.append((time.perf_counter(), url, json.loads(body)))
        return reply


def owner(n: int) -> str:
    return f"U0AE{n:03d}"


def seed(services, count: int, standin: SlackStandin) -> None:  # type: ignore[no-untyped-def]
    """Accounts below the save desk's threshold: each case goes to its account owner."""
    now = services.clock.now()
    with services.db.session() as session:
        for n in range(count):
            values = {
                "name": f"Burst Customer {n:03d}",
                "arr": Decimal(20000),
                "csm": f"U0CSM{n:03d}",
                "account_owner": owner(n),
            }
            accounts_store.upsert(session, f"burst-{n:03d}", values, now)
    for n in range(count):
        standin.add_user(owner(n))
        standin.add_user(f"U0CSM{n:03d}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=80)
    parser.add_argument("--deployment", choices=("all", "split"), default="all")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--timeout", type=float, default=240.0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    stop_on_sigterm()
    logging.basicConfig(level=logging.ERROR)
    url = None if args.sqlite else args.database_url
    with (
        ArrivalStandin() as standin,
        database(url) as db_url,
        tempfile.TemporaryDirectory() as tmp,
        processes() as started,
    ):
        standin.limit_posts(POST_PACE_SECONDS, STANDIN_BURST)
        logs = Path(tmp)
        services = schema_and_services(standin.api_url, db_url, logs)
        seed(services, args.cases, standin)
        services.db.dispose()
        if args.deployment == "split":
            started.append(start_app("worker", db_url, standin.api_url, logs))
        started.append(
            start_app("web" if args.deployment == "split" else "all", db_url, standin.api_url, logs)
        )
        time.sleep(3.0)  # the worker takes the scheduler lock
        load = load_now()
        t0, wall = burst(started[-1], standin, args.cases)
        done = wait_for(standin, args.cases, t0, args.timeout)
        opened = [at - wall for at in cases_opened(db_url)]
        report(standin, args, url, t0, done, load, opened)
        if not done:
            print(started[-1].tail(30))


def schema_and_services(api_url: str, db_url: str, logs: Path):  # type: ignore[no-untyped-def]
    """Services on the migrated database; another checkout (BENCH_APP_DIR, for "before"
    figures) migrates it with its own migrations first."""
    if APP_DIR == REPO:
        return savedesk_services(api_url, db_url)
    env = app_env(db_url, api_url, free_port())
    argv = [sys.executable, str(APP_DIR / "app.py"), "migrate"]
    subprocess.run(argv, env=env, cwd=logs, check=True, capture_output=True)
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": db_url,
        }
    )
    return build_services(settings, load_policy(POLICY_FILE))


def burst(web, standin: ArrivalStandin, count: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Every command at once; returns when the burst began (perf_counter, epoch seconds)."""
    sender = slack_sender(web, standin)

    def send(n: int) -> int:
        answer = sender.slash_command(f"cancel burst-{n:03d} budget cut", user_id=f"U0CSM{n:03d}")
        return answer.status

    t0, wall = time.perf_counter(), time.time()
    with ThreadPoolExecutor(max_workers=count) as pool:
        statuses = list(pool.map(send, range(count)))
    bad = [s for s in statuses if s != 200]
    if bad:
        print(f"  {len(bad)} commands not acknowledged with 200: {sorted(set(bad))}")
    return t0, wall


def cases_opened(db_url: str) -> list[float]:
    """When each case was committed (epoch seconds, the app's clock)."""
    db = Database(db_url)
    try:
        with db.read() as session:
            return [at.timestamp() for at in session.scalars(select(Case.created_at))]
    finally:
        db.dispose()


def roots(standin: ArrivalStandin) -> list[float]:
    return _first(standin, lambda c: _post(c, CASES_CHANNEL) and not c.args.get("thread_ts"))


def lines(standin: ArrivalStandin) -> list[float]:
    return _first(standin, lambda c: _post(c, CASES_CHANNEL) and bool(c.args.get("thread_ts")))


def owner_dms(standin: ArrivalStandin) -> list[float]:
    return _first(standin, lambda c: _post(c, "U0AE"))


def dm_links(standin: ArrivalStandin) -> list[float]:
    return _first(
        standin,
        lambda c: c.method == "chat.update" and str(c.args.get("channel")).startswith("D0AE"),
    )


def _post(call: Call, prefix: str) -> bool:
    return (
        call.method == "chat.postMessage"
        and call.fault is None
        and str(call.args.get("channel", "")).startswith(prefix)
    )


def _first(standin: ArrivalStandin, wanted: Callable[[Call], bool]) -> list[float]:
    return [at for at, call in list(standin.arrivals) if wanted(call) and call.fault is None]


def answers(standin: ArrivalStandin, nth: int) -> list[float]:
    """When each response_url got its `nth` answer (0: the confirmation; 1: the link)."""
    seen: dict[str, list[float]] = {}
    for at, url, _ in list(standin.answers):
        seen.setdefault(url, []).append(at)
    return [times[nth] for times in seen.values() if len(times) > nth]


def wait_for(standin: ArrivalStandin, count: int, t0: float, timeout: float) -> bool:
    while time.perf_counter() - t0 < timeout:
        have = (len(roots(standin)), len(owner_dms(standin)), len(answers(standin, 0)))
        if min(have) >= count:  # a new case posts no thread line: its root says it all
            return True
        time.sleep(0.2)
    return False


def report(  # type: ignore[no-untyped-def]
    standin: ArrivalStandin,
    args,
    url: str | None,
    t0: float,
    done: bool,
    load: str,
    opened: list[float],
) -> None:
    floor = max(args.cases - BURST, 0) * POST_PACE_SECONDS
    db = "PostgreSQL" if url else "SQLite"
    what = "python app.py" if args.deployment == "all" else "app.py web + app.py worker"
    print(f"{args.cases} new cases at once, {what} on {db}, load {load}")
    print(f"  {'seconds after the burst':32} {'p50':>7} {'p95':>7} {'max':>7}  count")
    rows = [
        ("case opened (committed)", [t0 + s for s in opened]),
        ("confirmation (response_url)", answers(standin, 0)),
        ("owner DM", owner_dms(standin)),
        ("case root in #cases", roots(standin)),
        ("DM edited with the link", dm_links(standin)),
        ("confirmation with the link", answers(standin, 1)),
        ("thread lines in #cases", lines(standin)),
    ]
    for label, times in rows:
        seconds = [t - t0 for t in times]
        if seconds:
            print(
                f"  {label:32} {percentile(seconds, 50):7.1f} {percentile(seconds, 95):7.1f} "
                f"{max(seconds):7.1f}  {len(seconds)}"
            )
        else:
            print(f"  {label:32} {'-':>7} {'-':>7} {'-':>7}  0")
    limited = sum(1 for _, c in standin.arrivals if c.fault == "ratelimited")
    print(f"  Slack's pace for {args.cases} posts in one channel: {floor:.0f} s at least")
    print(f"  429 answers from the stand-in: {limited}; all arrived: {'yes' if done else 'NO'}")


if __name__ == "__main__":
    main()
