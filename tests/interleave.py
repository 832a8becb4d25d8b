"""Forcing two units of work to interleave on PostgreSQL: the first is held up at a case
thread's root row (another session holds it) while the second starts, so a test shows what
each sees of the other. SQLite's one writer never interleaves them: such tests skip there."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import text

from tests.conftest import RunningApp, eventually


def waiting_for_locks(app: RunningApp) -> int:
    """Sessions of this test's database waiting for a lock another one holds."""
    with app.services.db.engine.connect() as conn:
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return int(conn.scalar(text(f"{waiting} AND datname = current_database()")) or 0)


def while_held(
    app: RunningApp, root_id: int, first: Callable[[], object], then: Callable[[], object]
) -> None:
    """Run `first` in its own thread until it waits at the root row `root_id` (holding what
    it locked before, e.g. the case row), then `then` in another until it waits too (at a
    row `first` holds, or at that root) or is done; then `first` is let go, and the outbox is
    delivered once both are done."""
    held = app.services.db.engine.connect()
    held.execute(text("SELECT id FROM outbox_messages WHERE id = :id FOR UPDATE"), {"id": root_id})
    one = threading.Thread(target=first)
    one.start()
    eventually(lambda: waiting_for_locks(app) == 1)
    two = threading.Thread(target=then)
    two.start()
    eventually(lambda: waiting_for_locks(app) == 2 or not two.is_alive())
    held.rollback()
    held.close()
    one.join(20)
    two.join(20)
    app.tick()
