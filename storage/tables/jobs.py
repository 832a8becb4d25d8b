"""Tables of the durable job system (docs/operations.md, *What survives what*): work accepted with
an acknowledgement, and the heartbeats that say which process holds the scheduler lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

CLAIMABLE_SQL = "state IN ('pending', 'running')"


class Job(Base):
    """Work a process accepted and acknowledged, waiting for a worker (bot/runtime/jobs.py).

    Written and committed before the acknowledgement goes out, so a killed process loses
    nothing. `state` is pending → running (claimed until `claimed_until`, a lease) → done or
    failed; `attempts` counts claims and is the claim's token (a worker whose lease ran out
    cannot mark a job another worker re-claimed as done). Times are UTC.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "ix_jobs_claimable",
            "id",
            sqlite_where=text(CLAIMABLE_SQL),
            postgresql_where=text(CLAIMABLE_SQL),
        ),
        Index("ix_jobs_finished_at", "finished_at"),
    )


class Heartbeat(Base):
    """The last sign of life of a role only one process holds at a time (`scheduler`):
    `/healthz` in every process reads it to tell that nobody holds the scheduler lock."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    beat_at: Mapped[datetime]
