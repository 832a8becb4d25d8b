"""Tables of the revenue-at-risk report (docs/reports.md): stored reports and
the leaders' App Home refresh marks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class StoredReport(Base):
    """One generated revenue-at-risk report (docs/reports.md): the figures as
    JSON (bot/reports/models.py reads them back), so the chart that goes with a post is drawn
    from exactly the numbers that were posted, however often its upload is retried.

    `period` is week / month / quarter; `period_start`/`period_end` are UTC; `channel` and
    `thread_ts` say where it was asked for (None for the terminal); `message_id` is the post.
    """

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    generated_at: Mapped[datetime]
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    channel: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    requested_by: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))

    __table_args__ = (Index("ix_reports_generated_at", "generated_at"),)


class HomeView(Base):
    """The last App Home published to a leader by the refresh after case changes: when,
    and the newest case event it showed, so each leader gets at most one refresh a minute
    and none while nothing changed."""

    __tablename__ = "home_views"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    published_at: Mapped[datetime]
    event_id: Mapped[int] = mapped_column(Integer)


# The report's aggregates read only these indexes: open cases by track and kind (partial,
# covering), and closed cases by track and closing time (covering).
