"""The report's post and chart through the outbox and the Slack stand-in: the PNG is
uploaded once, after the post, into the same channel, through failures and racing ticks."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.common.clock import FakeClock
from bot.reports.service import WEEKLY_STEP, next_weekly
from bot.runtime.services import Services
from demo.standin import SlackStandin
from storage.models import ScheduledStep, StoredReport
from tests.conftest import unpaced, with_policy
from tests.report_data import Book
from wiring import build_services

PNG = b"\x89PNG\r\n\x1a\n"


def completed(standin: SlackStandin) -> list:
    return [f for f in standin.files() if f.completed]


def test_report_post_then_chart_in_the_same_channel(
    services: Services, standin: SlackStandin
) -> None:
    book = Book(services, services.clock.now())
    book.case("contact_left", "saved", 43000, closed_ago=timedelta(days=1))
    book.case("contact_left", "working", 250000, age=timedelta(days=30))
    posted = services.reports.publish("week", "C0LEADERS", requested_by="U0MGR")
    report = services.deliver()
    assert (report.sent, report.failed) == (2, 0)
    [message] = standin.messages("C0LEADERS")[:1]
    assert (
        "saved 1 customer from main-contact-turnover risk (up from 0 customers), worth $43,000"
        in message["text"]
    )
    [chart] = completed(standin)
    assert chart.content is not None and chart.content.startswith(PNG)
    assert chart.channels == ["C0LEADERS"] and chart.thread_ts is None
    assert chart.filename.startswith("revenue-at-risk-week-")
    assert len(standin.calls("files.getUploadURLExternal")) == 1
    with services.db.read() as session:
        stored = session.get(StoredReport, posted.report_id)
        assert stored is not None and stored.message_id == posted.message_id


def test_a_failed_upload_is_retried_and_shared_once(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    standin.fail_next("files.getUploadURLExternal", status=500)
    standin.fail_next("files.completeUploadExternal", status=500)
    services.reports.publish("week", "C0LEADERS")
    first = services.deliver()
    assert (first.sent, first.retrying) == (1, 1)
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        services.deliver()
    assert len(completed(standin)) == 1, "one chart shared, however many attempts"
    assert len(standin.calls("files.completeUploadExternal")) == 2
    assert services.deliver().sent == 0


def test_the_chart_of_a_deleted_report_fails_for_good(
    services: Services, standin: SlackStandin
) -> None:
    posted = services.reports.publish("week", "C0LEADERS")
    with services.db.session() as session:
        stored = session.get(StoredReport, posted.report_id)
        assert stored is not None
        stored.message_id = None
        session.flush()
        session.delete(stored)
    report = services.deliver()
    assert (report.sent, report.failed) == (1, 1)
    assert standin.files() == []


def test_weekly_post_goes_out_once_with_two_racing_ticks(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    weekly = with_policy(services, TEST_WEEKLY)
    clock.set(datetime(2026, 1, 4, 12, 0, tzinfo=UTC))  # Sunday
    weekly.tick()
    due = next_weekly(clock.now(), weekly.policy.reports.weekly, weekly.policy)  # type: ignore[arg-type]
    assert due == datetime(2026, 1, 5, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York
    assert standin.messages("C0LEADERS") == []
    clock.set(due)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def tick() -> None:
        own = unpaced(build_services(weekly.settings, weekly.policy, clock))
        try:
            barrier.wait()
            own.tick()
            own.tick()
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.db.dispose()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    weekly.tick()
    posts = [m for m in standin.messages("C0LEADERS") if "Revenue at risk" in (m["text"] or "")]
    assert len(posts) == 1
    assert len(completed(standin)) == 1
    assert len(standin.calls("files.completeUploadExternal")) == 1
    with weekly.db.read() as session:
        steps = session.execute(
            select(ScheduledStep.state, func.count())
            .where(ScheduledStep.kind == WEEKLY_STEP)
            .group_by(ScheduledStep.state)
        ).all()
    assert dict(steps) == {"done": 1, "pending": 1}, "next week's post is scheduled"


TEST_WEEKLY = """
timezone = "America/New_York"
business_hours = "09:00-17:00"

[channels]
cases = "C0CASES"
reports = "C0LEADERS"

[roles]
managers = ["U0MGR"]

[reports]
weekly = "mon 09:00"
"""


def test_the_post_and_the_chart_give_dates_in_the_policy_timezone(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    """02:57 UTC on the 9th is 21:57 on the 8th in New York, the test policy's timezone
    (policy.example.toml: `timezone` is what business hours and reports use)."""
    clock.set(datetime(2026, 12, 9, 2, 57, tzinfo=UTC))
    services.reports.publish("week", "C0LEADERS")
    assert services.deliver().sent == 2
    [message] = standin.messages("C0LEADERS")[:1]
    assert "(to 2026-12-08 21:57 EST)" in json.dumps(message["blocks"])
    assert "UTC" not in json.dumps(message["blocks"])
    [chart] = completed(standin)
    assert chart.filename == "revenue-at-risk-week-2026-12-08.png"
    assert chart.title == "Revenue at risk, week to 2026-12-08"
