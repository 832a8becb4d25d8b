"""Case work in processes of its own, at a lower CPU priority than acknowledgements.

In one Python process only one thread runs Python at a time (the GIL). When case work shared
the web process, every acknowledgement's socket and database round trip released the GIL
and then waited up to the switch interval (5 ms) for a busy case-work thread to hand it
back, so at 100 commands/s on PostgreSQL acknowledgements queued behind case work they did
not wait for (bench/README.md, *Bursts*). Here the work runs in `count` spawned processes,
each with its own services and connection pool, reniced so the operating system prefers the
web process's threads whenever both want a core.

A job is a module-level function `job(services, *args)` (pickled by name, its arguments by
value); its errors are logged in the case-work process under a reference that the web
process's `on_error` can tell the person.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger(__name__)

NICE = 10
"""How much lower the case-work processes' priority is (nice(2) increment; 19 lowest)."""

Job = Callable[..., object]
"""A module-level function `job(services, *args)`; it runs in a case-work process."""

_services: Any = None  # this process's Services, when it is a case-work process


class CaseWorkers:
    """`count` case-work processes, each with services built by `build` (a picklable,
    module-level callable such as `functools.partial(wiring.case_worker_services,
    settings)`)."""

    def __init__(self, count: int, build: Callable[[], Any], nice: int = NICE) -> None:
        self.count = count
        self._start_args = (build, nice, logging.getLogger().level)
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.count,
            mp_context=multiprocessing.get_context("spawn"),  # never fork a threaded process
            initializer=_start,
            initargs=self._start_args,
        )

    def _submit(self, fn: Callable[..., object], *args: Any) -> Future:
        """Submit to the pool; a pool broken by a process that died (killed, out of memory)
        is replaced once, so later work runs again (the jobs it held fail: their callers
        tell the person)."""
        with self._lock:
            try:
                return self._pool.submit(fn, *args)
            except BrokenProcessPool:
                log.warning("a case-work process died: starting the case-work processes again")
                self._pool = self._new_pool()
                return self._pool.submit(fn, *args)

    def warm(self, timeout: float = 60.0) -> None:
        """Start every process now (each imports the app and opens its pool, about a
        second), so the first burst does not wait for them. Raises what a start raised."""
        deadline, started = time.monotonic() + timeout, set()
        while len(started) < self.count:  # each process started (not one, twice)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(started)} of {self.count} case-work processes started")
            futures = [self._submit(_ready) for _ in range(self.count)]
            started |= {future.result(timeout=left) for future in futures}

    def submit(self, job: Job, *args: Any) -> Future:
        """Run `job(services, *args)` in a case-work process; the future's result is None,
        or the reference under which the job's error was logged."""
        return self._submit(_run, job, args)

    def answer(self, job: Job, *args: Any) -> Future:
        """Run `job(services, *args)` in a case-work process for a request that waits for
        its value (picklable); the future raises what the job raised."""
        return self._submit(_answer, job, args)

    def shutdown(self) -> None:
        """Finish the jobs already submitted, then stop the processes."""
        self._pool.shutdown(wait=True)


def _start(build: Callable[[], Any], nice: int, level: int) -> None:
    global _services
    # Stopping is the web process's to decide: a SIGTERM or Ctrl-C sent to the whole
    # process group (Heroku, systemd, a terminal) must not kill the queue it is draining.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()
    os.nice(nice)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _services = build()


def _exit_with(parent: int, every: float = 1.0) -> None:
    """End this process once the web process is gone (killed outright, it cannot say so):
    an orphan would wait for work forever, holding a database connection."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(0)


def pids(workers: CaseWorkers) -> list[int]:
    """The case-work processes' ids (for tests and benchmarks)."""
    return list(getattr(workers._pool, "_processes", {}) or {})


def _ready() -> int:
    time.sleep(0.05)  # busy a moment, so the next one goes to (and starts) another process
    return os.getpid()


def _answer(job: Job, args: tuple[Any, ...]) -> object:
    return job(_services, *args)


def _run(job: Job, args: tuple[Any, ...]) -> str | None:
    try:
        job(_services, *args)
    except Exception as error:
        reference = uuid.uuid4().hex[:8]
        log.error("case work failed, reference %s", reference, exc_info=error)
        return reference
    return None
