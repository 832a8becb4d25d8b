"""`/healthz`: can this process do its job right now? (docs/operations.md, *Health checks*)

Unhealthy (503) when the database does not answer, or one of this process's loops has
stopped or kept failing (bot.runtime.health). A worker (or `python app.py`) is also
unhealthy when no process has held the scheduler lock for `SCHEDULER_ABSENT` (nothing would
be delivered or nudged), when due messages have waited past `DELIVERY_STALLED`, or accepted
jobs past `JOBS_STALLED`, and nothing has moved for `NO_PROGRESS` (a burst's backlog that is
draining at Slack's pace is not stalled). A web process only warns of those (`warnings`):
restarting it would not help, and would stop acknowledgements meanwhile. A workspace-wide
pause of delivery (Slack refusing the token, down, rate-limiting: bot/outbox/holding.py) is
said in `slack` but is no reason to restart; so is OAuth mode waiting for its (first, or
next) install, with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.outbox.holding import pause_reason
from bot.runtime.scheduler import SCHEDULER_BEAT
from bot.runtime.services import Services
from storage import installs as install_rows
from storage import jobs as job_rows
from storage.health import last_sent, oldest_due_message

SCHEDULER_ABSENT = timedelta(seconds=60)
DELIVERY_STALLED = timedelta(minutes=5)
JOBS_STALLED = timedelta(minutes=2)
NO_PROGRESS = timedelta(seconds=60)
"""How long a waiting queue must not have moved (nothing sent, no job finished) to count as
stalled."""
STARTING = 60.0
"""Seconds after start during which a missing scheduler is not yet a problem (a worker
starting beside this web process takes a few seconds to take the lock)."""


@dataclass
class Checkup:
    """The answer `/healthz` gives: `ok`, the reasons it is not, and the figures behind it."""

    ok: bool = True
    reasons: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What another process must put right (a web process's view of the workers)."""
    only_warn: bool = False

    def problem(self, reason: str) -> None:
        self.ok = False
        self.reasons.append(reason)

    def elsewhere(self, reason: str) -> None:
        """A problem of the deployment's workers: this process's own if it runs them."""
        if self.only_warn:
            self.warnings.append(reason)
        else:
            self.problem(reason)

    def body(self) -> dict[str, Any]:
        status = "ok" if self.ok else "unavailable"
        answer = {"status": status, "reasons": self.reasons, **self.fields}
        return answer | ({"warnings": self.warnings} if self.warnings else {})


def assess(services: Services, role: str) -> Checkup:
    """This process's checkup; `role` is web, worker or all (what it runs)."""
    checkup = Checkup(fields={"process": role}, only_warn=role == "web")
    health = services.health
    checkup.fields["loops"] = health.loops()
    for problem in health.problems():
        checkup.problem(problem)
    database = services.db.problem()
    checkup.fields["database"] = "ok" if database is None else f"not answering: {database}"
    if database is not None:
        checkup.problem(f"database not answering: {database}")
        return checkup
    try:
        _queues(services, checkup, starting=health.uptime() < STARTING)
    except Exception as err:  # the database went away between the two questions
        checkup.problem(f"database: {type(err).__name__}")
    return checkup


def _queues(services: Services, checkup: Checkup, *, starting: bool) -> None:
    now, wall = services.clock.now(), services.health.wall()
    with services.db.read() as session:
        beat = job_rows.last_beat(session, SCHEDULER_BEAT)
        oldest_job = job_rows.oldest_due(session, now)
        oldest_message = oldest_due_message(session, now)
        paused = pause_reason(session, now)
        waiting = _install_waiting(services, session)
    since_beat = None if beat is None else (wall - beat.beat_at).total_seconds()
    checkup.fields["scheduler"] = {
        "holder": beat.holder if beat else None,
        "seconds_since_beat": None if since_beat is None else round(since_beat, 1),
    }
    absent = since_beat is None or since_beat > SCHEDULER_ABSENT.total_seconds()
    if absent and not starting:
        checkup.elsewhere("no process holds the scheduler lock")
    job_wait = _age(now, oldest_job)
    message_wait = _age(now, oldest_message)
    checkup.fields["jobs"] = {"oldest_waiting_seconds": job_wait}
    checkup.fields["delivery"] = {"oldest_due_seconds": message_wait}
    checkup.fields["slack"] = waiting or paused or "ok"  # a restart would not help either
    if waiting is not None:
        checkup.warnings.append(f"Slack: {waiting}")
    if _over(job_wait, JOBS_STALLED) and _idle(services, now, job_rows.last_finished):
        checkup.elsewhere(f"jobs waiting for {job_wait:.0f} s")
    stalled = _over(message_wait, DELIVERY_STALLED) and paused is None
    if stalled and _idle(services, now, last_sent):
        checkup.elsewhere(f"delivery stalled: a message due for {message_wait:.0f} s")


NOT_INSTALLED_YET = "not installed yet; install at /slack/install"


def _install_waiting(services: Services, session: Session) -> str | None:
    """OAuth mode with no installation holding a token: what it waits for (docs/operations.md,
    *Health checks*). Nothing is broken, so it is a warning, never a 503."""
    installs = services.installs
    if installs is None:
        return None
    if install_rows.latest_bot(session, installs.client_id) is not None:
        return None
    removed = install_rows.uninstalls(session)
    if not removed:
        return NOT_INSTALLED_YET
    last = removed[-1]
    return f"the app was removed ({last.reason}); install it again at /slack/install"


def install_waiting(services: Services) -> str | None:
    """`_install_waiting` in its own read: what start-up says instead of Slack's refusal."""
    with services.db.read() as session:
        return _install_waiting(services, session)


def _over(wait: float | None, limit: timedelta) -> bool:
    return wait is not None and wait > limit.total_seconds()


def _idle(services: Services, now: Any, last: Callable[[Session], Any]) -> bool:
    """Nothing moved for `NO_PROGRESS` (asked only once a queue waits too long)."""
    with services.db.read() as session:
        moved = last(session)
    return moved is None or now - moved > NO_PROGRESS


def _age(now: Any, since: Any) -> float | None:
    return None if since is None else round((now - since).total_seconds(), 1)
