"""The two holds on delivery and their backoff, said once and loudly (docs/slack.md, *When Slack
says no*): a workspace pause (Slack refuses the token, rate-limits, or is down) and a waiting
channel (Slack refuses that channel for now). Both are rows (storage/outbox_holds.py), so `check`
and `/healthz` in any process see them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.common.clock import Clock
from bot.common.vocab import OutboxState
from bot.outbox import links
from storage import outbox_holds as store
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_PAUSE = timedelta(seconds=60)  # a fixed token is used within a minute
CHANNEL_RETRY = timedelta(minutes=1)  # then 2, 4, 8, 15 minutes; an event tries at once
MAX_CHANNEL_RETRY = timedelta(minutes=15)


class Holds:
    """Sets, extends and lifts the holds, inside the unit of work recording a row."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def pause(
        self, session: Session, reason: str, now: datetime, retry_after: timedelta | None
    ) -> None:
        """Pause the workspace: Retry-After when Slack gave one, else 1, 2, 4 … 60 s."""
        current = store.pause(session)
        if current is not None and current.until > now and retry_after is None:
            return  # another call of the same moment: the pause already covers it
        refusals = current.refusals if current else 0
        wait = retry_after or min(timedelta(seconds=2 ** min(refusals, 6)), MAX_PAUSE)
        if store.set_pause(session, reason, now, now + wait):
            loud = log.warning if reason == "ratelimited" else log.error
            loud(
                "Slack refused the workspace's messages (%s): delivery is paused and retried "
                "with backoff; nothing is lost",
                reason,
            )

    def hold(self, session: Session, channel: str, reason: str, now: datetime) -> None:
        """Make a channel's messages wait: tried again after 1, 2, 4, 8, 15 … minutes."""
        current = store.waiting_channel(session, channel)
        tries = current.tries if current else 0
        wait = min(CHANNEL_RETRY * 2 ** min(tries, 4), MAX_CHANNEL_RETRY)
        if store.hold_channel(session, channel, reason, now, now + wait):
            log.error(
                "Slack refuses messages to %s (%s): they wait and go when the channel works "
                "again (tried every few minutes, and at once when it is unarchived or the app "
                "is added)",
                channel,
                reason,
            )

    def worked(self, session: Session, channel: str, started: datetime) -> None:
        """A call to `channel` begun at `started` succeeded: lift its wait, and the
        workspace's pause unless the call began before the pause did (it was in flight
        beside the refused one)."""
        released = store.release_channel(session, channel)
        if released is not None:
            log.warning(
                "%s takes messages again (it refused them since %s: %s); they go now",
                channel,
                released.since.isoformat(timespec="seconds"),
                released.reason,
            )
        current = store.pause(session)
        if current is None or started <= current.since:
            return
        ended = store.end_pause(session)
        if ended is not None:
            log.warning(
                "Slack takes the workspace's messages again (paused since %s: %s)",
                ended.since.isoformat(timespec="seconds"),
                ended.reason,
            )

    def note_for(self, session: Session, parent: OutboxMessage) -> tuple[str, bool]:
        """Why a message goes without its link to `parent`, and whether the link follows."""
        if parent.state == OutboxState.FAILED:
            return links.failed(parent.channel, parent.last_error or "an error"), False
        held = store.waiting_channel(session, parent.channel)
        if held is not None:
            return links.waiting(parent.channel, held.reason), True
        return links.on_its_way(parent.channel), True


def pause_reason(session: Session, now: datetime) -> str | None:
    """One line saying why delivery is paused for the workspace, or None when it is not."""
    current = store.pause(session)
    if current is None:
        return None
    left = max((current.until - now).total_seconds(), 0)
    return (
        f"Slack delivery paused since {current.since.isoformat(timespec='seconds')}: "
        f"{current.reason} ({current.refusals} refusals in a row; next try in {left:.0f} s)"
    )
