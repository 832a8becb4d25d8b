"""Child processes kept alive: the worker `python app.py` runs beside its web server, and the
job processes (`app.py jobs`) a worker runs beside its scheduler and delivery.

Work runs in processes of its own, so that case work never competes with acknowledgements
for the web process's interpreter lock, nor with delivery for the worker's (bench/README.md,
*Durable jobs*). A child that dies (killed, out of memory) is started again, with a growing
pause, and `/healthz` says so meanwhile; its claimed jobs are claimed again once their lease
runs out.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from bot.runtime.health import Health

log = logging.getLogger(__name__)

PARENT_ENV = "SAVEDESK_PARENT_PID"
"""Set for a child process: it ends when the process that started it is gone."""
APP = Path(__file__).resolve().parents[2] / "app.py"
STOP_SECONDS = 30.0
MAX_PAUSE = 10.0


class ChildProcess:
    """`python app.py <command>` as a child process, started again whenever it ends; its
    health name (e.g. `worker-process`, `job-process-1`) reports it while it is down."""

    def __init__(self, health: Health, command: str, name: str) -> None:
        self.health = health
        self.command = command
        self.name = name
        self.argv = [sys.executable, str(APP), command]
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._keep, name=name, daemon=True)
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        self.health.watch(self.name, self._thread)
        self._thread.start()

    def _keep(self) -> None:
        pause = 0.5
        while not self._stop.is_set():
            env = {**os.environ, PARENT_ENV: str(os.getpid()), "HEALTH_PORT": ""}
            self._proc = subprocess.Popen(self.argv, env=env)
            self.starts += 1
            self.health.report(self.name, None)
            code = self._proc.wait()
            if self._stop.is_set():
                return
            self.health.report(self.name, f"`app.py {self.command}` exited with {code}")
            log.error("`app.py %s` exited with %s; starting it again", self.command, code)
            self._stop.wait(pause)
            pause = min(pause * 2, MAX_PAUSE)

    def stop(self) -> None:
        """SIGTERM the child (it finishes the jobs in hand), then wait for it."""
        self.terminate()
        self.wait()

    def terminate(self) -> None:
        """Ask the child to stop, without waiting (stop several at once, then `wait`)."""
        self._stop.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()

    def wait(self) -> None:
        """Wait up to STOP_SECONDS for a terminated child, then kill it."""
        proc = self._proc
        if proc is not None:
            try:
                proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._thread.join(timeout=1)


def stop_listening_for_signals() -> None:
    """Ignore further SIGTERM and Ctrl-C while stopping: Python restores the default
    handlers (which kill) as it exits, but leaves ignored signals ignored."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def end_with_parent(parent: int, stop: threading.Event, every: float = 0.5) -> None:
    """Stop this child once the process that started it is gone (killed outright, it cannot
    say so): its jobs are claimed by the next one started."""
    while os.getppid() == parent and not stop.wait(every):
        pass
    stop.set()
