"""What Savedesk already did in another system, step by step (docs/hubspot.md): a job
retried after a partial failure reads these before calling again, so nothing is written
twice where the system has no idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class WritebackRecord(Base):
    """One step done: `key` names it (e.g. `hubspot:note:<ref>`), `result` is what the
    system answered (e.g. the note's id), `happened_at` when the change it reports happened
    in Savedesk, `recorded_at` when the step was done. Times are UTC."""

    __tablename__ = "writeback_records"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    result: Mapped[str] = mapped_column(Text)
    happened_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
