"""LISTEN for the outbox's NOTIFY (PostgreSQL), so a worker process hears every commit that
queued messages, whichever process made it (see `Database._notify_outbox`).

One dedicated connection outside the pool, in autocommit (LISTEN only hears while no
transaction is open). A lost connection is logged and reopened after `retry` seconds;
meanwhile the deliverer's one-second poll still runs, so messages are only later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from storage.db import OUTBOX_CHANNEL, OUTBOX_SCOPE, Database

log = logging.getLogger(__name__)


class OutboxListener:
    """Calls `wake` for each notification from this database and schema, until `stop`."""

    def __init__(
        self,
        db: Database,
        wake: Callable[[], None],
        stop: threading.Event,
        *,
        check_every: float = 0.5,
        retry: float = 1.0,
    ) -> None:
        self.db = db
        self.wake = wake
        self.stop = stop
        self.check_every = check_every  # seconds between looks at `stop`
        self.retry = retry
        self.listening = threading.Event()  # set while LISTEN is in place (tests wait on it)

    def run(self) -> None:
        """Thread target: listen until `stop` is set."""
        while not self.stop.is_set():
            try:
                self._listen()
            except Exception as err:  # the database went away: poll-only until it is back
                self.listening.clear()
                log.warning("outbox LISTEN connection lost (%s); retrying", err)
                self.stop.wait(self.retry)

    def _listen(self) -> None:
        pooled = self.db.engine.raw_connection()
        conn: Any = pooled.driver_connection
        pooled.detach()  # never back into the pool: it is LISTENing and in autocommit
        try:
            conn.autocommit = True
            scope = conn.execute(f"SELECT {OUTBOX_SCOPE}").fetchone()[0]
            conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
            self.listening.set()
            while not self.stop.is_set():
                for note in conn.notifies(timeout=self.check_every):
                    if note.payload == scope:
                        self.wake()
        finally:
            self.listening.clear()
            pooled.close()
