"""Write-back step records (storage/tables/writeback.py): read one, record one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage.tables.writeback import WritebackRecord


def get(session: Session, key: str) -> WritebackRecord | None:
    return session.get(WritebackRecord, key)


def record(session: Session, key: str, result: str, happened_at: datetime, now: datetime) -> None:
    """Record (or, for a change that happened no earlier, replace) the step `key` in the
    caller's unit of work; a record of a later change is kept."""
    row = session.get(WritebackRecord, key)
    if row is None:
        session.add(
            WritebackRecord(key=key, result=result, happened_at=happened_at, recorded_at=now)
        )
    elif row.happened_at <= happened_at:
        row.result, row.happened_at, row.recorded_at = result, happened_at, now


def forget(session: Session, prefix: str, before: datetime) -> int:
    """Delete the records whose key starts with `prefix`, recorded before `before`."""
    gone = session.execute(
        delete(WritebackRecord).where(
            WritebackRecord.key.startswith(prefix, autoescape=True),
            WritebackRecord.recorded_at < before,
        )
    )
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
