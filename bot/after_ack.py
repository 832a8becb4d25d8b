"""Work done after a request has been answered, on a few threads of its own.

Slack allows 3 seconds for an acknowledgement and Bolt writes it from the listener's
thread; when the case work ran on those same threads, a burst of commands queued new
acknowledgements behind earlier commands' case work (bench/README.md, *Bursts*). Handing
the work here lets listener threads return as soon as they have acknowledged, and bounds
how many units of work run at once (database connections, the GIL) whatever the burst.

With case-work processes (`use_processes`, what `python app.py` does: `CASE_WORK_PROCESSES`)
`call` runs jobs there instead, so case work does not even share the web process's GIL
(`bot.case_work`); tests and the in-process demo keep the threads.

Queued work lives in memory: like work Bolt runs after `ack()`, it is lost if the process
is killed, which is why `shutdown` lets the queue finish on a normal stop.
"""

from __future__ import annotations

import logging
import pickle
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from bot.case_work import CaseWorkers, Job

log = logging.getLogger(__name__)

WORKERS = 4  # units of work at once; with WEB_THREADS and the scheduler, within the pool
MAX_PENDING = 2000  # about 20 s of case work at 100/s; beyond it the caller does the work


class AfterAck:
    """A bounded pool of threads for work that must not hold up acknowledgements."""

    def __init__(self, workers: int = WORKERS, max_pending: int = MAX_PENDING) -> None:
        self.workers = workers
        self.max_pending = max_pending
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="after-ack")
        self._lock = threading.Lock()
        self._pending = 0
        self._processes: CaseWorkers | None = None
        self.finished: list[Callable[[], None]] = []
        """Told when a job finishes in a case-work process (it may have queued outbox rows
        there: the scheduler wakes its deliverer)."""

    def use_processes(self, workers: CaseWorkers) -> None:
        """From now on `call` runs jobs in `workers`' processes."""
        self._processes = workers

    def call(
        self, job: Job, services: Any, *args: Any, on_error: Callable[[str], None] | None = None
    ) -> Future:
        """Run `job(services, *args)` after the acknowledgement: in a case-work process (with
        that process's own services) when `use_processes` was called, else like `submit`
        on this process's threads with `services`. Errors as in `submit`. A job lost with a
        case-work process that died (the pool breaks: every job it held fails) is run once
        more in the restarted processes before anyone is told."""
        if self._processes is None or self._full():
            return self.submit(lambda: job(services, *args), on_error)
        with self._lock:
            self._pending += 1
        return self._dispatch(job, args, on_error, retry=True)

    def _dispatch(
        self,
        job: Job,
        args: tuple[Any, ...],
        on_error: Callable[[str], None] | None,
        *,
        retry: bool,
    ) -> Future:
        assert self._processes is not None
        try:
            future = self._processes.submit(job, *args)
        except BaseException:
            with self._lock:
                self._pending -= 1
            raise

        def finished(done: Future) -> None:
            if retry and isinstance(done.exception(), BrokenProcessPool):
                log.warning("a case-work process died with %s queued: running it again", job)
                self._dispatch(job, args, on_error, retry=False)
                return
            self._finished(done, on_error)

        future.add_done_callback(finished)
        return future

    def answer(self, job: Job, services: Any, *args: Any, timeout: float = 30.0) -> Any:
        """`job(services, *args)`'s value for a request that waits for it (the signals
        webhook answers with the case id): computed in a case-work process when there are
        (the web process's GIL stays free for other requests), else on this thread. Also on
        this thread when the processes are busy with queued work (an answer must not wait
        behind a burst of commands' case work, holding a web thread), or when the job cannot
        be sent there (arguments too deeply nested to pickle, a pool that just broke).
        Raises what the job raised, or TimeoutError after `timeout` seconds."""
        if self._processes is None or self._pending >= self._processes.count:
            return job(services, *args)
        try:
            return self._processes.answer(job, *args).result(timeout=timeout)
        except (pickle.PicklingError, RecursionError, BrokenProcessPool) as why:
            log.warning("answered in the web process: %s", type(why).__name__)
            return job(services, *args)
        finally:
            for tell in self.finished:
                tell()

    def _full(self) -> bool:
        return self._pending >= self.max_pending

    def _finished(self, done: Future, on_error: Callable[[str], None] | None) -> None:
        with self._lock:
            self._pending -= 1
        for tell in self.finished:
            tell()
        error = done.exception()
        reference = done.result() if error is None else uuid.uuid4().hex[:8]
        if error is not None:
            log.error("case-work process failed, reference %s", reference, exc_info=error)
        if reference is not None and on_error is not None:
            try:
                on_error(reference)
            except Exception:
                log.warning("could not report reference %s", reference, exc_info=True)

    def submit(
        self, work: Callable[[], object], on_error: Callable[[str], None] | None = None
    ) -> Future:
        """Run `work` soon in another thread. If it raises, the traceback is logged under a
        reference id and `on_error(reference)` can tell the person.

        Load beyond what the database sustains would otherwise grow the queue (and memory)
        without end: past `max_pending` the caller runs the work itself, which slows its
        listener down as before this queue existed, until the queue drains."""
        with self._lock:
            full = self._pending >= self.max_pending
            self._pending += 1
        if full:
            log.warning("after-ack queue full (%s): work runs in the caller", self.max_pending)
            done: Future = Future()
            self._run(work, on_error)
            done.set_result(None)
            return done
        return self._pool.submit(self._run, work, on_error)

    @property
    def pending(self) -> int:
        """Submitted and not finished (queued or running)."""
        return self._pending

    def shutdown(self) -> None:
        """Finish everything queued, then stop the threads and processes (a normal stop
        loses nothing)."""
        self._pool.shutdown(wait=True)
        if self._processes is not None:
            self._processes.shutdown()

    def _run(self, work: Callable[[], object], on_error: Callable[[str], None] | None) -> None:
        try:
            work()
        except Exception as error:
            reference = uuid.uuid4().hex[:8]
            log.error(
                "work after an acknowledgement failed, reference %s", reference, exc_info=error
            )
            if on_error is not None:
                try:
                    on_error(reference)
                except Exception:
                    log.warning("could not report reference %s", reference, exc_info=True)
        finally:
            with self._lock:
                self._pending -= 1
