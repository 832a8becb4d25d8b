"""Shared pieces of the benchmarks: databases, seeding, servers as real processes, the bare
Bolt floor, open-loop sending and percentiles.

Savedesk runs as `python app.py web` (or `app.py`, or `app.py worker`) in a process of its
own, configured only through its environment, exactly as deployed; the bare Bolt floor
(`bench/bare_bolt.py`) runs the same way on the same server (waitress) with the same
number of threads. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import hmac
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from bot.policy import Policy, load_policy
from bot.runtime.services import Services
from bot.runtime.settings import load_settings
from demo.standin import SlackStandin
from demo.standin.sender import SlackSender
from storage import accounts as accounts_store
from storage.models import Case, CaseEvent
from storage.vocab import CaseEventType
from tests.schemas import fresh_schema
from wiring import build_services

REPO = Path(__file__).resolve().parents[1]
POLICY_FILE = REPO / "policy.example.toml"
SECRET = "bench-signing-secret"
SIGNALS_SECRET = "bench-signals-secret"
TOKEN = "xoxb-bench-token"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SLACK_DEADLINE_MS = 3000.0
DEFAULT_THREADS = 4  # waitress's default: what `python app.py web` served before WEB_THREADS
# Another checkout of Savedesk to run as the app (e.g. an older commit, for "before" figures);
# the benchmark's own code, database and stand-in stay these.
APP_DIR = Path(os.environ.get("BENCH_APP_DIR") or REPO)
PR_SET_PDEATHSIG = 1  # prctl(2)
APP_NAME = "savedesk-bench"  # PostgreSQL application_name of the app's connections


# -- databases and data ---------------------------------------------------------------------


@contextmanager
def database(url: str | None, prefix: str = "bench") -> Iterator[str]:
    """A temporary SQLite file, or a fresh PostgreSQL schema dropped at the end (never the
    tables already in a shared database)."""
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    with fresh_schema(url, prefix) as fresh:
        yield fresh


def savedesk_services(api_url: str, url: str, policy: Policy | None = None) -> Services:
    """Services on `url` with its schema migrated (what `app.py` does at start-up)."""
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": url,
        }
    )
    services = build_services(settings, policy or load_policy(POLICY_FILE))
    services.db.migrate()
    return services


def account_id(n: int) -> str:
    return f"bench-{n:03d}"


def seed(services: Services, count: int) -> None:
    """Half the accounts are above the save-desk threshold, half go to their owner."""
    now = services.clock.now()
    with services.db.session() as session:
        for n in range(count):
            values = {
                "name": f"Bench Customer {n:03d}",
                "arr": Decimal(80000 if n % 2 else 20000),
                "csm": "U0CSM",
                "account_owner": "U0AE",
            }
            accounts_store.upsert(session, account_id(n), values, now)


def signals_handled(services: Services) -> int:
    """Cases opened plus signals attached to them: one per /churn cancel or webhook."""
    with services.db.read() as session:
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
        attached = session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.type == CaseEventType.SIGNAL)
        )
        return cases + (attached or 0)


def case_counts(services: Services) -> dict[int, int]:
    """Open and closed cases per account id (the one-case-per-account check)."""
    with services.db.read() as session:
        rows = session.execute(select(Case.account_id, func.count()).group_by(Case.account_id))
        return {account: n for account, n in rows}


def settle(services: Services, expected: int, timeout: float = 120.0) -> float:
    """Wait until the work done after the acks is finished; seconds it took (or timeout)."""
    started = time.monotonic()
    while signals_handled(services) < expected and time.monotonic() - started < timeout:
        time.sleep(0.1)
    return time.monotonic() - started


# -- processes ------------------------------------------------------------------------------


def _rss_kb(pid: int) -> int:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith("VmRSS:")), 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """A server process the benchmark started (and stops)."""

    name: str
    popen: subprocess.Popen
    port: int | None
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kb(self) -> int:
        """Resident memory now (kB), from /proc."""
        return _rss_kb(self.popen.pid)

    def children_rss_kb(self) -> int:
        """Resident memory of the process's children (the case-work processes and, with
        spawn, multiprocessing's resource tracker), summed (kB)."""
        total = 0
        for task in Path(f"/proc/{self.popen.pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _rss_kb(int(child))
        return total

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def app_env(url: str, api_url: str, port: int, extra: dict[str, str] | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        SIGNALS_WEBHOOK_SECRET=SIGNALS_SECRET,
        DATABASE_URL=named(url),
        POLICY_FILE=str(POLICY_FILE),
        PORT=str(port),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def named(url: str) -> str:
    """The URL with the app's connections named, so pg_stat_activity can tell them apart."""
    if not url.startswith("postgresql"):
        return url
    return f"{url}{'&' if '?' in url else '?'}application_name={APP_NAME}"


def start_app(
    mode: str, url: str, api_url: str, logs: Path, extra: dict[str, str] | None = None
) -> Process:
    """`python app.py [web|worker]` (mode "all" runs plain `app.py`), from an empty directory
    so no `.env` is read; waits until /healthz answers (web) or a moment (worker)."""
    port = free_port() if mode != "worker" else None
    argv = [sys.executable, str(APP_DIR / "app.py")] + ([] if mode == "all" else [mode])
    env = app_env(url, api_url, port or free_port(), extra)
    return _start(f"app.py {mode}", argv, env, port, logs)


def start_bare(api_url: str, threads: int, logs: Path) -> Process:
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare_bolt", "--port", str(port)]
    argv += ["--threads", str(threads), "--api-url", api_url]
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    return _start("bare Bolt", argv, env, port, logs)


def _die_with_parent() -> None:
    """In the child: receive SIGTERM if the benchmark dies, so no server outlives it."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_on_sigterm() -> None:
    """SIGTERM unwinds the benchmark like Ctrl-C: servers stopped, schemas dropped."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def _start(name: str, argv: list[str], env: dict, port: int | None, logs: Path) -> Process:
    log = logs / f"{name.replace(' ', '_').replace('.', '_')}_{port or 'worker'}.log"
    handle = log.open("w")
    popen = subprocess.Popen(
        argv,
        env=env,
        cwd=logs,
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )
    process = Process(name, popen, port, log)
    if port is None:
        time.sleep(1.0)
        if popen.poll() is not None:
            raise RuntimeError(f"{name} stopped at once:\n{process.tail()}")
    elif not wait_healthy(process, timeout=30):
        process.stop()
        raise RuntimeError(f"{name} did not start:\n{process.tail()}")
    return process


def wait_healthy(process: Process, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            return False
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{process.base_url}/healthz", timeout=2) as reply,
        ):
            if reply.status == 200:
                return True
        time.sleep(0.1)
    return False


@contextmanager
def processes() -> Iterator[list[Process]]:
    """Collects started processes and stops every one of them at the end, whatever happens."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for process in reversed(started):
            process.stop()


# -- sending --------------------------------------------------------------------------------


def slack_sender(process: Process, standin: SlackStandin) -> SlackSender:
    return SlackSender(process.base_url, SECRET, response_url_factory=standin.new_response_url)


def signal_body(account: str, external_id: str, kind: str = "usage_drop") -> bytes:
    data = {
        "account": account,
        "kind": kind,
        "summary": f"Weekly active users down ({external_id})",
        "external_id": external_id,
        "source": "bench",
    }
    return json.dumps(data).encode()


def post_signal(base_url: str, body: bytes, timeout: float = 10.0) -> int:
    """POST a signal signed as the README says; the HTTP status (0: no answer)."""
    stamp = str(int(time.time()))
    digest = hmac.new(SIGNALS_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    headers = {
        "Content-Type": "application/json",
        "X-Savedesk-Request-Timestamp": stamp,
        "X-Savedesk-Signature": f"v0={digest.hexdigest()}",
    }
    request = urllib.request.Request(
        f"{base_url}/webhooks/signals", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            reply.read()
            return int(reply.status)
    except urllib.error.HTTPError as error:
        with error:
            return int(error.code)
    except OSError:
        return 0


@dataclass
class Samples:
    """Latencies (ms, from the scheduled send time to the answer) and non-200s of one target."""

    name: str
    ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    late_starts: int = 0  # sent more than 10 ms after schedule: the client fell behind
    by_request: dict[int, float] = field(default_factory=dict)  # request number -> ms

    def add(
        self, elapsed_ms: float, status: int, ok: tuple[int, ...] = (200,), i: int = -1
    ) -> None:
        self.ms.append(elapsed_ms)
        self.by_request[i] = elapsed_ms
        if status not in ok or elapsed_ms > SLACK_DEADLINE_MS:
            self.failures.append(f"HTTP {status} after {elapsed_ms:.0f} ms")

    def pct(self, p: int) -> float:
        return percentile(self.ms, p)

    def timeline(self, rate: float, every: float = 0.5) -> str:
        """The slowest answer to the requests scheduled in each `every`-second slice of the
        window (where in a burst the queue built up), e.g. "0.0s 12 | 0.5s 340 | …"."""
        slices: dict[int, float] = {}
        for i, ms in self.by_request.items():
            key = int(i / rate / every)
            slices[key] = max(slices.get(key, 0.0), ms)
        return " | ".join(f"{k * every:.1f}s {v:.0f}" for k, v in sorted(slices.items()))


def percentile(samples: list[float], pct: int) -> float:
    if len(samples) < 2:
        return samples[0] if samples else float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


Send = Callable[[int], int]  # request number -> HTTP status


def open_loop(
    rate: float, count: int, targets: list[tuple[Samples, Send]], *, pool: int = 256
) -> None:
    """Send request i to every target at t0 + i/rate (targets offset within the interval),
    whatever happened to earlier requests: a slow server does not slow the schedule down,
    so queueing shows up in the latencies instead of hiding in a slower send rate."""
    stagger = 1.0 / (rate * len(targets))
    with ThreadPoolExecutor(max_workers=pool) as executor:
        t0 = time.perf_counter() + 0.05
        for i in range(count):
            for k, (samples, send) in enumerate(targets):
                due = t0 + i / rate + k * stagger
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                executor.submit(_timed, samples, send, i, due)


def _timed(samples: Samples, send: Send, i: int, due: float) -> None:
    if time.perf_counter() - due > 0.010:
        samples.late_starts += 1
    try:
        status = send(i)
    except Exception as err:  # a benchmark counts failures, it does not stop on them
        status = 0
        samples.failures.append(repr(err))
    samples.add((time.perf_counter() - due) * 1000, status, ok=(200, 201), i=i)


def load_now() -> str:
    """The machine's 1-minute load average (other work shares these 2 cores)."""
    return f"{os.getloadavg()[0]:.2f}"


def heartbeat(label: str, stop: threading.Event, every: float = 10.0) -> threading.Thread:
    """Print a line every `every` seconds so a long run shows it is alive."""

    def beat() -> None:
        started = time.monotonic()
        while not stop.wait(every):
            print(f"  … {label}: {time.monotonic() - started:.0f} s", flush=True)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    return thread
