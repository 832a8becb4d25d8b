"""The worker process `python app.py` runs beside its web server, kept alive.

Jobs run in a process of their own, so that case work never competes with acknowledgements
for the web process's interpreter lock (bench/README.md, *Acknowledgements*). If the worker
dies (killed, out of memory) it is started again, with a growing pause, and `/healthz` says
so meanwhile; its claimed jobs are claimed again once their lease runs out.
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
"""Set for the worker a `python app.py` starts: the worker ends when that process is gone."""
APP = Path(__file__).resolve().parents[2] / "app.py"
NAME = "worker-process"
STOP_SECONDS = 30.0
MAX_PAUSE = 10.0


class WorkerProcess:
    """`python app.py worker` as a child process, started again whenever it ends."""

    def __init__(self, health: Health, argv: list[str] | None = None) -> None:
        self.health = health
        self.argv = argv or [sys.executable, str(APP), "worker"]
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._keep, name=NAME, daemon=True)
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        self.health.watch(NAME, self._thread)
        self._thread.start()

    def _keep(self) -> None:
        pause = 0.5
        while not self._stop.is_set():
            env = {**os.environ, PARENT_ENV: str(os.getpid()), "HEALTH_PORT": ""}
            self._proc = subprocess.Popen(self.argv, env=env)
            self.starts += 1
            self.health.report(NAME, None)
            code = self._proc.wait()
            if self._stop.is_set():
                return
            self.health.report(NAME, f"the worker process exited with {code}")
            log.error("the worker process exited with %s; starting it again", code)
            self._stop.wait(pause)
            pause = min(pause * 2, MAX_PAUSE)

    def stop(self) -> None:
        """SIGTERM the worker (it finishes the jobs in hand), then wait for it."""
        self._stop.set()
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
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
    """Stop this worker once the `python app.py` that started it is gone (killed outright,
    it cannot say so): its jobs are claimed by the next one it starts."""
    while os.getppid() == parent and not stop.wait(every):
        pass
    stop.set()
