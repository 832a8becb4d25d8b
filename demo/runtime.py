"""`python app.py demo`: the stand-in, Savedesk and the page, in one process.

Savedesk runs exactly as in production (its Bolt app behind its HTTP server, the
scheduler holding its lock, the outbox delivering to ``SLACK_API_URL``), only pointed at
the stand-in, on a fresh database, with a test clock (an offset in a file in its folder,
as SAVEDESK_TEST_CLOCK_FILE) the page can move forward.
"""

from __future__ import annotations

import contextlib
import io
import logging
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from waitress.server import create_server

from bot.common.clock import OffsetClock
from bot.finance.dunning import today_in
from bot.policy import Policy, load_policy
from bot.runtime.settings import Settings, load_settings
from bot.runtime.worker import Worker
from demo.client import SlackClientSide
from demo.sample import load_sample
from demo.standin import SlackStandin
from demo.standin.sender import SlackSender
from demo.workspace import populate
from wiring import build_services

log = logging.getLogger("savedesk.demo")
REPO = Path(__file__).resolve().parent.parent
EXAMPLE_POLICY = REPO / "policy.example.toml"
CLOCK_STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
TICK_WAIT_SECONDS = 30  # a clock move waits at most this long for the last move's tick

Importer = Callable[[Settings, Policy, str, Path], int]


def next_business_morning(now: datetime, policy: Policy) -> datetime:
    """The first opening of business hours (policy `timezone`) strictly after ``now``;
    9:00 the next day when the policy has no business calendar."""
    opening = policy.business_hours[0] if policy.business_hours else time(9)
    local = now.astimezone(policy.timezone)
    for days in range(15):
        day = local.date() + timedelta(days=days)
        if policy.business_hours and day.weekday() not in policy.business_days:
            continue
        candidate = datetime.combine(day, opening, tzinfo=policy.timezone)
        if candidate > now:
            return candidate.astimezone(UTC)
    return now + timedelta(days=1)


def _serve(server: Any) -> None:
    with contextlib.suppress(OSError):  # closing the sockets from another thread ends it
        server.run()


def _shut(server: Any) -> None:
    """End a waitress server from another thread, quickly and quietly, even with browser
    connections kept open: its own loop thread closes every connection and the listening
    socket (closing them from here would leave the loop selecting on closed descriptors,
    EBADF), so its map empties and the loop returns; requests still running are waited for
    first, a second at most (the process is stopping)."""
    connections = server._map  # waitress's socket map: listener, trigger, connections

    def close_all() -> None:
        for dispatcher in list(connections.values()):
            with contextlib.suppress(OSError):
                dispatcher.close()

    # Requests in progress finish first: one finishing pulls the trigger, which must still
    # be open then (pulling a closed one logged EBADF from a task thread).
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    with contextlib.suppress(OSError):  # the trigger is closed already: the loop has ended
        server.trigger.pull_trigger(close_all)


@dataclass
class Demo:
    """Everything `python app.py demo` runs; ``start`` then ``stop``."""

    port: int = 3000
    database_url: str | None = None
    page_socket: socket.socket | None = None  # bound by `app.py demo` before start-up
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="savedesk-demo-")))
    clock: OffsetClock | None = None  # by default the test clock, its file in `folder`
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # The same mechanism as SAVEDESK_TEST_CLOCK_FILE (docs/configuration.md, *The test clock*):
        # the offset lives in a file every part of Savedesk reads.
        self.clock = self.clock or OffsetClock(file=self.folder / "clock")
        # Message ts values are Savedesk's (offset) time, so the page shows when things
        # happened on the clock the person moved.
        self.standin = SlackStandin(
            strict_triggers=True, wallclock=lambda: self.clock.now().timestamp()
        )
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._servers: list[Any] = []
        self._tick_lock = threading.Lock()
        self._move_lock = threading.Lock()
        self._ticked = threading.Event()  # the last move's tick has run
        self._ticked.set()
        self.clock_moves = 0

    # -- start and stop

    def start(self, importer: Importer | None = None) -> str:
        """Start everything; returns the page's URL."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.standin.start()
        populate(self.standin)
        self.settings = self._settings()
        self.policy = load_policy(self.settings.policy_file)
        self.services = build_services(self.settings, self.policy, self.clock)
        self.services.db.migrate()
        if importer is not None:
            today = today_in(self.policy, self.clock.now())  # the day Savedesk counts in
            self.notes += load_sample(self.folder, today, self._quiet(importer))
        self.savedesk_url = self._serve_savedesk()
        self.worker = Worker(self.services)  # jobs and the scheduler, on threads here
        self.worker.start()
        sender = SlackSender(self.savedesk_url, self.settings.slack_signing_secret or "")
        self.client = SlackClientSide(self.standin, sender)
        return self._serve_page()

    def _settings(self) -> Settings:
        policy = self.folder / "policy.toml"
        shutil.copyfile(EXAMPLE_POLICY, policy)
        return load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-demo-" + secrets.token_hex(8),
                "SLACK_SIGNING_SECRET": secrets.token_hex(16),
                "SLACK_API_URL": self.standin.api_url,
                "DATABASE_URL": self.database_url or f"sqlite:///{self.folder / 'savedesk.db'}",
                "POLICY_FILE": str(policy),
                "PORT": str(self.port or 3000),
            }
        )

    def _quiet(self, importer: Importer) -> Callable[[str, Path], int]:
        def run(what: str, path: Path) -> int:
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = importer(self.settings, self.policy, what, path)
            log.debug("import %s: %s", what, out.getvalue().strip())
            return code

        return run

    def _serve_savedesk(self) -> str:
        from handlers.slack_app import build_bolt_app
        from handlers.web import create_web_app

        bolt = build_bolt_app(self.services, self.services.api.auth_test())
        web = create_web_app(self.services, bolt, "all")
        return self._listen(web, 0, "savedesk-http")

    def _serve_page(self) -> str:
        from demo.page import create_page_app

        return self._listen(create_page_app(self), self.port, "demo-page", self.page_socket)

    def _listen(self, app: Any, port: int, name: str, sock: socket.socket | None = None) -> str:
        if sock is not None:
            server = create_server(app, sockets=[sock], threads=6)
        else:
            server = create_server(app, host="127.0.0.1", port=port, threads=6)
        self._servers.append(server)
        self._spawn(_serve, server, name=name)
        return f"http://127.0.0.1:{server.effective_port}"

    def _spawn(self, target: Callable[..., Any], *args: Any, name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Stop the servers and the scheduler, release the database, remove temp files."""
        self._stop.set()
        if hasattr(self, "worker"):
            self.worker.stop(timeout=10)
        for server in self._servers:
            _shut(server)
        for thread in self._threads:
            thread.join(timeout=10)
        self.standin.stop()
        if hasattr(self, "services"):
            self.services.db.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- the clock control

    def advance(self, step: str) -> datetime:
        """Move Savedesk's clock forward (+1 hour, +1 day, next business morning) and run
        the work now due in the background: the same code `python app.py tick` runs."""
        if step != "morning" and step not in CLOCK_STEPS:
            raise ValueError(f"unknown clock step {step!r}: use hour, day or morning")
        # One move at a time, each after the last move's tick: a quick second click moved
        # the clock under that tick, and its reminders read as missed while Savedesk was
        # offline ("Catching up: ..."). The wait is bounded: a stuck tick never hangs the page.
        with self._move_lock:
            self._ticked.wait(timeout=TICK_WAIT_SECONDS)
            now = self.clock.now()
            if step == "morning":
                delta = next_business_morning(now, self.policy) - now
            else:
                delta = CLOCK_STEPS[step]
            moved = self.clock.advance(delta)
            self.clock_moves += 1
            self.client.note("clock", "", step=step, now=moved.isoformat())
            self._ticked.clear()
            self._spawn(self._tick, name="demo-tick")
        return moved

    def settled(self, timeout: float) -> bool:
        """True once the last clock move's tick has run (waits up to ``timeout`` seconds)."""
        return self._ticked.wait(timeout)

    def _tick(self) -> None:
        with self._tick_lock:
            try:
                report = self.services.tick()
                log.info("clock moved; tick: %s", report.summary())
            except Exception:
                log.exception("tick after a clock move failed")
            finally:
                self._ticked.set()


def run_demo(
    page: socket.socket, open_browser: bool, database_url: str | None, importer: Importer
) -> int:
    """Start the demo with its page on the `page` socket (already listening, so a busy port
    was answered before start-up), print its URL (and open it), and stop cleanly on Ctrl-C
    or SIGTERM."""
    import signal
    import sys
    import webbrowser

    port = int(page.getsockname()[1])
    demo = Demo(port=port, database_url=database_url, page_socket=page)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        url = demo.start(importer)
        print(f"Savedesk demo: {url}  (Ctrl-C stops it)", flush=True)
        if open_browser:
            webbrowser.open(url)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    except OSError as err:
        print(f"savedesk: demo: cannot start ({err.strerror or err})", file=sys.stderr)
        return 2
    finally:
        demo.stop()
    print("Savedesk demo stopped.", flush=True)
    return 0
