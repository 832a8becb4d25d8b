"""Tables that hold delivery back when Slack refuses (bot/outbox/refusals.py says which
refusal means what): a pause for the whole workspace, and channels whose messages wait.

Both are rows rather than process memory so that every process sees them: the worker that
delivers, `app.py check` and `/healthz` in the others.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

WORKSPACE = "workspace"  # the one pause scope while one bot token delivers everything


class DeliveryPause(Base):
    """Slack refused the workspace's calls (auth, rate limit, an outage): nothing but
    response_url answers is sent before `until`; the first success afterwards deletes the
    row. `refusals` counts refusals in a row (the backoff grows with it); `since` is the
    first of them. Times are UTC."""

    __tablename__ = "delivery_pauses"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime]
    until: Mapped[datetime]
    refusals: Mapped[int] = mapped_column(Integer)


class WaitingChannel(Base):
    """A channel Slack will not take messages in (archived, not found, the app not in it):
    its messages wait, one of them is tried again at `next_try_at` (or at once on a
    `channel_unarchive` / `member_joined_channel` event), and the first success deletes
    the row. `reason` is Slack's error code; `tries` counts refusals in a row."""

    __tablename__ = "waiting_channels"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    since: Mapped[datetime]
    next_try_at: Mapped[datetime]
    tries: Mapped[int] = mapped_column(Integer)
