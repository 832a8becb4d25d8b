"""Leaders' App Home: the current figures, the narrative and the latest chart, refreshed
when a case changes, at most once a minute per leader (docs/reports.md, *Where it appears*).

Every case change writes a case timeline event; a refresh pass (each scheduler run or
`tick`) publishes the home of each manager and admin whose view shows an older event and
was refreshed over a minute ago. A conditional upsert on `home_views` makes one of
several racing processes publish; the view goes out through the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.common.clock import Clock
from bot.reports.models import Report
from storage import home as homes
from storage import outbox as outbox_rows
from storage.db import Database

REFRESH_GAP = timedelta(minutes=1)
PUBLISH = "views.publish"

HomeRenderer = Callable[[str], dict[str, Any]]
"""The whole App Home view of one user (Block Kit dict); the edge provides it."""


@dataclass(frozen=True)
class LeaderReport:
    """What the leaders' section shows: current figures and the latest uploaded chart."""

    report: Report
    chart_url: str | None
    chart_title: str


class HomeRefresher:
    """Publishes leaders' App Homes after case changes, debounced per leader."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        leaders: Callable[[], Iterable[str]],
        render: HomeRenderer,
    ) -> None:
        self.db = db
        self.clock = clock
        self.leaders = leaders
        self.render = render

    def refresh(self) -> int:
        """Queue a fresh home for each stale leader; returns how many were queued."""
        users = sorted(set(self.leaders()))
        if not users:
            return 0
        now = self.clock.now()
        before = now - REFRESH_GAP
        with self.db.read() as session:
            latest = homes.latest_case_event(session)
            stale = homes.stale_homes(session, users, latest, before)
        queued = 0
        for user in stale:
            view = self.render(user)  # reads only: outside the write transaction
            with self.db.session() as session:
                if homes.claim_home(session, user, latest, now, before):
                    payload = {"user_id": user, "view": view}
                    outbox_rows.add(session, method=PUBLISH, channel=user, payload=payload, now=now)
                    queued += 1
        return queued
