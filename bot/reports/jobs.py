"""`/churn report` as a durable job: the request is written before the acknowledgement; a
worker computes the figures and queues the post and its chart in the same transaction that
marks the job done, so the report is posted once however often the job runs."""

from __future__ import annotations

from bot.reports.service import ReportService
from bot.runtime.jobs import Claimed, Done, Handler, JobKind, Jobs


def queue_publish(jobs: Jobs, period: str, channel: str, requested_by: str | None) -> int:
    """Write the job that posts the `period` report in `channel`; returns its id."""
    payload = {"period": period, "channel": channel, "requested_by": requested_by}
    return jobs.enqueue(JobKind.PUBLISH_REPORT, payload)


def publish_handler(reports: ReportService) -> Handler:
    """The PUBLISH_REPORT handler: compute outside any transaction, then store, queue the
    post and chart and complete the job in one."""

    def run(job: Claimed, done: Done) -> None:
        payload = job.payload
        report = reports.generate(payload["period"])
        with reports.db.session() as session:
            reports.queue(
                session, report, payload["channel"], requested_by=payload.get("requested_by")
            )
            done(session)

    return run
