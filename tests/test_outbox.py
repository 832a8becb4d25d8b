"""The outbox delivers every message exactly once, through rate limits and outages."""

from __future__ import annotations

from datetime import timedelta

from bot import outbox
from bot.clock import FakeClock
from bot.services import Services
from demo.standin import SlackStandin
from storage.models import OutboxMessage


def queue_post(services: Services, channel: str = "C0CASES", text: str = "hello") -> int:
    with services.db.session() as session:
        return outbox.post(session, services.clock.now(), channel, text).id


def row(services: Services, row_id: int) -> OutboxMessage:
    with services.db.session() as session:
        found = session.get(OutboxMessage, row_id)
        assert found is not None
        return found


def test_delivers_once_through_429_then_500(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    standin.fail_next("chat.postMessage", status=429, retry_after=7)
    standin.fail_next("chat.postMessage", status=500)
    message_id = queue_post(services)

    first = services.deliver()
    assert (first.sent, first.retrying) == (0, 1)
    assert services.deliver().sent == 0, "Retry-After must be honoured"
    clock.advance(timedelta(seconds=7))
    assert services.deliver().retrying == 1
    clock.advance(timedelta(minutes=1))
    assert services.deliver().sent == 1
    assert services.deliver().sent == 0

    delivered = [c for c in standin.calls("chat.postMessage") if c.fault is None]
    assert len(delivered) == 1
    assert row(services, message_id).state == "sent"
    assert row(services, message_id).ts == standin.messages("C0CASES")[0]["ts"]


def test_permanent_error_fails_with_reason_and_is_not_retried(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    standin.fail_next("chat.postMessage", error="channel_not_found")
    message_id = queue_post(services, channel="C0GONE")
    assert services.deliver().failed == 1
    clock.advance(timedelta(hours=1))
    services.deliver()
    assert len(standin.calls("chat.postMessage")) == 1
    failed = row(services, message_id)
    assert (failed.state, failed.last_error) == ("failed", "channel_not_found")


def test_slack_down_loses_nothing(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    standin.set_down(True)
    ids = [queue_post(services, text=f"m{i}") for i in range(3)]
    report = services.deliver()
    assert report.sent == 0 and report.stopped, "a down Slack stops the run"
    standin.set_down(False)
    clock.advance(timedelta(minutes=5))
    assert services.deliver().sent == 3
    assert [m["text"] for m in standin.messages("C0CASES")] == ["m0", "m1", "m2"]
    assert all(row(services, i).state == "sent" for i in ids)


def test_thread_reply_waits_for_root_and_update_reuses_ts(
    services: Services, standin: SlackStandin
) -> None:
    now = services.clock.now()
    with services.db.session() as session:
        root = outbox.post(session, now, "C0CASES", "root v1")
        outbox.reply(session, now, root, "first line")
        outbox.update(session, now, root, "root v2")
        outbox.update(session, now, root, "root v3")
    report = services.deliver()
    assert (report.sent, report.superseded) == (3, 1)
    root_ts = row(services, root.id).ts
    reply = standin.last_call("chat.postMessage")
    assert reply is not None and reply.args["thread_ts"] == root_ts
    updates = standin.calls("chat.update")
    assert [u.args["ts"] for u in updates] == [root_ts]
    assert standin.messages("C0CASES")[0]["text"] == "root v3"


def test_paces_posts_to_one_channel(services: Services) -> None:
    pacer = services.deliverer.pacer
    for i in range(3):
        queue_post(services, text=f"m{i}")
    queue_post(services, channel="C0OTHER")
    assert services.deliver().sent == 4
    slept = pacer.sleep.__self__.slept  # type: ignore[attr-defined]
    assert slept == [1.0, 1.0], "3 posts to one channel wait twice; the other channel never"


def test_reply_under_failed_root_fails_too(services: Services, standin: SlackStandin) -> None:
    standin.fail_next("chat.postMessage", error="not_in_channel")
    now = services.clock.now()
    with services.db.session() as session:
        root = outbox.post(session, now, "C0CASES", "root")
        child = outbox.reply(session, now, root, "reply")
    assert services.deliver().failed == 2
    assert "parent message" in (row(services, child.id).last_error or "")


def test_dm_is_a_post_to_the_user(services: Services, standin: SlackStandin) -> None:
    with services.db.session() as session:
        outbox.notify(session, services.clock.now(), "U0CSM", "you have a case")
    services.deliver()
    call = standin.last_call("chat.postMessage")
    assert call is not None and call.args["channel"] == "U0CSM"


def test_an_hour_long_outage_only_delays(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    standin.set_down(True)
    now = services.clock.now()
    with services.db.session() as session:
        root = outbox.post(session, now, "C0CASES", "root")
        outbox.reply(session, now, root, "reply")
    for _ in range(60):
        services.deliver()
        clock.advance(timedelta(minutes=1))
    assert row(services, root.id).state == "pending", "transient errors never fail a message"
    standin.set_down(False)
    clock.advance(timedelta(minutes=10))
    assert services.deliver().sent == 2


def test_retry_after_is_read_in_any_casing_and_defensively() -> None:
    assert outbox.retry_after({"retry-after": "7"}) == timedelta(seconds=7)
    assert outbox.retry_after({"Retry-After": ["3"]}) == timedelta(seconds=3)
    assert outbox.retry_after({"Retry-After": "soon"}) == timedelta(seconds=1)
    assert outbox.retry_after({}) == timedelta(seconds=1)


def test_a_dead_response_url_backs_off_then_expires(services: Services, clock: FakeClock) -> None:
    """A response_url that does not answer is retried with growing delays (not every few
    seconds), and given up once Slack would no longer take it (30 minutes)."""
    with services.db.session() as session:
        answer = outbox.respond(session, clock.now(), "http://127.0.0.1:9/gone", "Opened")
    waits = []
    for _ in range(4):
        assert services.deliver().retrying == 1
        pending = row(services, answer.id)
        waits.append(pending.next_attempt_at - clock.now())
        clock.advance(waits[-1])
    assert waits == [timedelta(seconds=s) for s in (1, 2, 4, 8)]
    clock.advance(outbox.RESPONSE_URL_LIFETIME)
    assert services.deliver().failed == 1
    gone = row(services, answer.id)
    assert gone.state == "failed" and "expired" in (gone.last_error or "")
