"""This process's own account of whether it can do its job, for `/healthz`.

Every background loop (job claiming, the scheduler lock, due steps, delivery, LISTEN) says
after each round whether it worked; a loop whose thread ended, or that has failed for
longer than `FAILING_GRACE`, makes the process unhealthy, so that Heroku, systemd or
Kubernetes restart it (docs/operations.md, *Health checks*). Elapsed time here is real (monotonic),
never the business clock a rehearsal may move.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from storage.db import unavailable as database_unavailable

__all__ = ["FAILING_GRACE", "Health", "LoopState", "database_unavailable"]

FAILING_GRACE = 30.0
"""Seconds a loop may keep failing (a database restart) before the process says so."""


@dataclass
class LoopState:
    """One loop's last word: when it last worked, and since when it fails (monotonic s)."""

    name: str
    thread: threading.Thread | None = None
    last_ok: float | None = None
    failing_since: float | None = None
    problem: str | None = None


class Health:
    """The loops of this process and what each last said. Thread-safe; cheap to call."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.monotonic = monotonic
        self.wall = wall
        """Real UTC time, for heartbeats other processes compare with theirs."""
        self.started = monotonic()
        self._loops: dict[str, LoopState] = {}
        self._lock = threading.Lock()

    def watch(self, name: str, thread: threading.Thread | None = None) -> None:
        """Start watching loop `name` (running in `thread`, whose end is a problem)."""
        with self._lock:
            self._loops[name] = LoopState(name, thread, last_ok=self.monotonic())

    def forget(self, name: str) -> None:
        """Stop watching a loop that ended on purpose (a scheduler that lost its lock)."""
        with self._lock:
            self._loops.pop(name, None)

    def report(self, name: str, problem: str | None) -> None:
        """Loop `name` finished a round: fine (None) or failing because of `problem`."""
        now = self.monotonic()
        with self._lock:
            state = self._loops.setdefault(name, LoopState(name))
            if problem is None:
                state.last_ok, state.failing_since, state.problem = now, None, None
            else:
                state.failing_since = state.failing_since or now
                state.problem = problem

    def loops(self) -> dict[str, str]:
        """Each loop's state in words: "ok", "failing for 12 s: …", or "stopped"."""
        now = self.monotonic()
        with self._lock:
            states = list(self._loops.values())
        return {state.name: _describe(state, now) for state in states}

    def problems(self, grace: float = FAILING_GRACE) -> list[str]:
        """Why this process cannot do its job right now (empty: it can)."""
        now = self.monotonic()
        with self._lock:
            states = list(self._loops.values())
        found = []
        for state in states:
            if state.thread is not None and not state.thread.is_alive():
                found.append(f"{state.name}: loop stopped")
            elif state.failing_since is not None and now - state.failing_since > grace:
                found.append(f"{state.name}: {_describe(state, now)}")
        return found

    def uptime(self) -> float:
        """Seconds since this process started watching its health."""
        return self.monotonic() - self.started


def _describe(state: LoopState, now: float) -> str:
    if state.thread is not None and not state.thread.is_alive():
        return "stopped"
    if state.failing_since is None:
        return "ok"
    return f"failing for {now - state.failing_since:.0f} s: {state.problem}"
