"""LISTEN for NOTIFY (PostgreSQL), so a process hears every commit that queued outbox rows
(`Database._notify_outbox`) or jobs (`storage.jobs.add`), whichever process made it.

One dedicated connection outside the pool, in autocommit (LISTEN only hears while no
transaction is open). A lost connection (the database restarted or is down) is logged once
and reopened every `retry` seconds, for as long as it takes; meanwhile the loops' own polls
still run, so work is only later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from storage.db import OUTBOX_SCOPE, Database

log = logging.getLogger(__name__)


class Listener:
    """Calls `wakes[channel]()` for each notification on that channel from this database
    and schema, until `stop` is set."""

    def __init__(
        self,
        db: Database,
        wakes: Mapping[str, Callable[[], None]],
        stop: threading.Event,
        *,
        check_every: float = 0.5,
        retry: float = 1.0,
        beat: Callable[[str | None], None] | None = None,
    ) -> None:
        self.db = db
        self.wakes = dict(wakes)
        self.stop = stop
        self.check_every = check_every  # seconds between looks at `stop`
        self.retry = retry
        self.beat = beat or (lambda _problem: None)  # told each round: None (fine) or why not
        self.listening = threading.Event()  # set while LISTEN is in place (tests wait on it)

    def run(self) -> None:
        """Thread target: listen until `stop` is set, whatever the database does."""
        down = False
        while not self.stop.is_set():
            try:
                self._listen(catch_up=down)
            except Exception as err:  # the database went away: poll-only until it is back
                self.listening.clear()
                self.beat(f"LISTEN connection lost: {type(err).__name__}")
                if not down:
                    log.warning("LISTEN connection lost (%s); retrying", str(err)[:200])
                down = True
                self.stop.wait(self.retry)
                continue
            down = False

    def _listen(self, catch_up: bool) -> None:
        pooled = self.db.engine.raw_connection()
        conn: Any = pooled.driver_connection
        pooled.detach()  # never back into the pool: it is LISTENing and in autocommit
        try:
            conn.autocommit = True
            scope = conn.execute(f"SELECT {OUTBOX_SCOPE}").fetchone()[0]
            for channel in self.wakes:
                conn.execute(f"LISTEN {channel}")
            self.listening.set()
            for wake in self.wakes.values() if catch_up else ():
                wake()  # anything committed while the connection was lost
            while not self.stop.is_set():
                self.beat(None)
                for note in conn.notifies(timeout=self.check_every):
                    wake = self.wakes.get(note.channel)
                    if wake is not None and note.payload == scope:
                        wake()
        finally:
            self.listening.clear()
            pooled.close()
