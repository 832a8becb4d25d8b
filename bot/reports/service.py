"""Generating, storing and posting reports; the weekly post as a durable scheduled step.

A posted report is one transaction: the stored figures, the post and the chart upload
(an outbox row that names the stored report; its PNG is drawn at delivery from those
figures, so a retried upload sends the same picture and nothing is computed twice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import Refused
from bot.common.calendar import next_open
from bot.common.clock import Clock
from bot.common.vocab import StepKind
from bot.outbox.files import AFTER_PARENT, FILE_UPLOAD
from bot.people.access import Access, Action
from bot.policy import Policy, WeeklySchedule
from bot.ports import Presenter
from bot.reports.chart import render_png
from bot.reports.figures import compute
from bot.reports.home import LeaderReport
from bot.reports.models import Report, from_json, to_json
from bot.reports.words import local
from storage import outbox as outbox_rows
from storage import reports as stored
from storage import steps as step_rows
from storage.db import Database
from storage.models import OutboxMessage, ScheduledStep, StoredReport

FILE_METHOD = FILE_UPLOAD
"""Outbox method of a chart upload; payload `{"report_id": N, "filename": …, "title": …}`."""
WEEKLY_STEP = StepKind.REPORT_WEEKLY


SHARED_CHANNEL = (
    "This channel is shared with another organisation, so the report is not posted here: "
    "ask for it in one of your own channels."
)


class UnknownReport(LookupError):
    """An upload names a report that is not stored (deleted): the row fails for good."""


@dataclass(frozen=True)
class Posted:
    report_id: int
    report: Report
    message_id: int
    file_id: int


class ReportService:
    """The report's use cases for the edges (command, CLI, scheduler, App Home)."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        presenter: Presenter,
        access: Access | None = None,
    ) -> None:
        self.db = db
        self.presenter = presenter
        self.policy = policy
        self.clock = clock
        self.access = access
        self._weekly_known_until: datetime | None = None

    def may_request(self, user: str, shared: Callable[[], bool | None] | None = None) -> None:
        """Whether `user` may have the report posted (`/churn report`): only those who see
        revenue figures (bot.people.access, REVENUE), and never in a channel `shared` says is shared
        with another organisation (Slack Connect): the figures would reach people who may not
        see them. Raises Refused."""
        if self.access is not None:
            self.access.require(user, Action.REVENUE)
        if shared is not None and shared():
            raise Refused(SHARED_CHANNEL)

    def generate(self, period: str) -> Report:
        """Every figure for the trailing period ending now; reads only (no write lock).

        Raises ValueError for a period other than week, month or quarter.
        """
        with self.db.read() as session:
            return compute(session, self.policy, period, self.clock.now())

    def publish(
        self,
        period: str,
        channel: str,
        *,
        thread_ts: str | None = None,
        requested_by: str | None = None,
        shared: Callable[[], bool | None] | None = None,
    ) -> Posted:
        """Compute (outside any write transaction), then store and queue post and chart.
        A person's request is checked first (`may_request`). Raises Refused."""
        if requested_by is not None:
            self.may_request(requested_by, shared)
        report = self.generate(period)
        with self.db.session() as session:
            return self.queue(session, report, channel, thread_ts, requested_by)

    def queue(
        self,
        session: Session,
        report: Report,
        channel: str,
        thread_ts: str | None = None,
        requested_by: str | None = None,
    ) -> Posted:
        """Store `report` and queue its post and chart in the caller's transaction."""
        now = self.clock.now()
        row = stored.save(
            session,
            period=report.period,
            period_start=report.start,
            period_end=report.end,
            generated_at=report.generated_at,
            figures=to_json(report),
            channel=channel,
            thread_ts=thread_ts,
            requested_by=requested_by,
        )
        text, blocks = self.presenter.report(report)
        post = outbox.post(session, now, channel, text, blocks)
        if thread_ts:
            post.payload = {**post.payload, "thread_ts": thread_ts}
        row.message_id = post.id
        upload = queue_chart(session, now, post, row, thread_ts, report.timezone)
        return Posted(row.id, report, post.id, upload.id)

    def chart_file(self, payload: dict) -> tuple[bytes, str, str]:
        """(PNG bytes, filename, title) of an upload row, drawn from the stored figures.

        Raises UnknownReport when the report row is gone.
        """
        with self.db.read() as session:
            row = stored.get(session, int(payload["report_id"]))
            if row is None:
                raise UnknownReport(f"report {payload['report_id']} is not stored")
            report = from_json(row.figures)
        return render_png(report), payload["filename"], payload["title"]

    def for_leaders(self) -> LeaderReport:
        """App Home's section: this week's figures now, and the latest chart shared."""
        report = self.generate("week")
        with self.db.read() as session:
            chart = stored.latest_chart(session)
        if chart is None:
            return LeaderReport(report, None, "")
        url, period, end = chart
        day = local(end, self.policy.timezone.key)
        return LeaderReport(report, url, f"Chart of the {period} to {day:%Y-%m-%d}")

    # -- the weekly post ------------------------------------------------------------------

    def keep_weekly_scheduled(self) -> None:
        """Make sure the next weekly post is a scheduled step (a write only when the one
        this process last saw scheduled is due, so a tick every few seconds stays cheap)."""
        now, weekly = self.clock.now(), self.policy.reports.weekly
        if weekly is None or self.policy.channels.reports is None:
            return
        if self._weekly_known_until is not None and now < self._weekly_known_until:
            return
        with self.db.session() as session:
            self.ensure_weekly(session)
        self._weekly_known_until = next_weekly(now, weekly, self.policy)

    def ensure_weekly(self, session: Session) -> bool:
        """Schedule the next weekly post unless it is (True if this call added it)."""
        weekly = self.policy.reports.weekly
        channel = self.policy.channels.reports
        if weekly is None or channel is None:
            return False
        due = next_weekly(self.clock.now(), weekly, self.policy)
        return step_rows.schedule(
            session,
            key=f"report:weekly:{due:%Y-%m-%dT%H:%M}",
            kind=WEEKLY_STEP,
            due_at=due,
            now=self.clock.now(),
            payload={"channel": channel},
        )

    def weekly_step(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        """StepRunner handler: post the week to channels.reports, then schedule the next.

        The step's unique key and StepRunner's claim make it happen once, whatever the
        number of racing workers or `tick`s.
        """
        channel = self.policy.channels.reports or step.payload["channel"]
        report = compute(session, self.policy, "week", now)
        self.queue(session, report, channel)
        self.ensure_weekly(session)


def queue_chart(
    session: Session,
    now: datetime,
    post: OutboxMessage,
    report: StoredReport,
    thread_ts: str | None,
    zone: str = "UTC",
) -> OutboxMessage:
    """The chart upload: sent after `post`, into the same channel (and thread, if any); its
    file name and title carry the period's last day in `zone` (the policy's timezone)."""
    stamp = f"{local(report.period_end, zone):%Y-%m-%d}"
    payload = {
        "report_id": report.id,
        "filename": f"revenue-at-risk-{report.period}-{stamp}.png",
        "title": f"Revenue at risk, {report.period} to {stamp}",
        AFTER_PARENT: True,
    }
    if thread_ts:
        payload["thread_ts"] = thread_ts
    return outbox_rows.add(
        session, method=FILE_METHOD, channel=post.channel, payload=payload, now=now, parent=post
    )


def next_weekly(now: datetime, weekly: WeeklySchedule, policy: Policy) -> datetime:
    """The next "mon 09:00" strictly after `now`, in the policy's timezone, moved to the
    next business opening if the calendar says that time is closed (UTC)."""
    local = now.astimezone(policy.timezone)
    days = (weekly.weekday - local.weekday()) % 7
    for extra in (0, 7):
        day = local.date() + timedelta(days=days + extra)
        due = datetime.combine(day, weekly.at, tzinfo=policy.timezone).astimezone(UTC)
        if due > now:
            return next_open(due, policy)
    raise AssertionError("unreachable: a week ahead is always later")
