"""The outbox delivers every message exactly once, through rate limits and outages."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from bot import outbox
from bot.common.clock import FakeClock
from bot.outbox import outcomes as outbox_outcomes
from bot.outbox.courier import Courier
from bot.runtime.services import Services
from demo.standin import SlackStandin
from storage import outbox as outbox_rows
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


@pytest.mark.parametrize("error", ["something_new_from_slack", "cant_update_message"])
def test_an_unknown_refusal_is_tried_a_few_times_then_fails_loudly(
    services: Services,
    standin: SlackStandin,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    error: str,
) -> None:
    standin.fail_next("chat.postMessage", error=error, times=outbox.UNKNOWN_TRIES)
    message_id = queue_post(services, channel="C0ODD")
    for _ in range(outbox.UNKNOWN_TRIES - 1):
        assert services.deliver().retrying == 1
        clock.advance(row(services, message_id).next_attempt_at - clock.now())
    with caplog.at_level(logging.ERROR):
        assert services.deliver().failed == 1
    clock.advance(timedelta(hours=1))
    services.deliver()
    assert len(standin.calls("chat.postMessage")) == outbox.UNKNOWN_TRIES
    failed = row(services, message_id)
    assert (failed.state, failed.last_error) == ("failed", error)
    assert any(
        error in r.getMessage() and "failed for good" in r.getMessage() for r in caplog.records
    )


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


def test_paces_posts_to_one_channel_with_short_bursts(services: Services) -> None:
    """Slack takes about one post a second per channel, with short bursts above that."""
    pacer = services.deliverer.pacer
    for i in range(outbox.BURST + 2):
        queue_post(services, text=f"m{i}")
    queue_post(services, channel="C0OTHER")
    assert services.deliver().sent == outbox.BURST + 3
    slept = pacer.sleep.__self__.slept  # type: ignore[attr-defined]
    assert slept == [1.0, 1.0], "a burst goes at once, then one a second; the other channel never"


def test_under_a_root_failed_for_good_lines_fail_and_links_go_without(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    """The thread's lines cannot go anywhere; whoever needed a link is told another way."""
    fails = outbox.UNKNOWN_TRIES
    standin.fail_next("chat.postMessage", error="weird_refusal", times=fails, channel="C0CASES")
    now = services.clock.now()
    url = standin.new_response_url("U0CSM", "C0CMD")
    with services.db.session() as session:
        root = outbox.post(session, now, "C0CASES", "root", keep_permalink=True)
        child = outbox.reply(session, now, root, "reply")
        dm = outbox.linked(session, now, "U0AE", root, "Your case: <{thread_link}|open it>")
        outbox.respond(session, now, url, "Opened: <{thread_link}|open it>", link_to=root)
    for _ in range(outbox.UNKNOWN_TRIES):
        services.deliver()
        clock.advance(timedelta(minutes=5))
    assert row(services, root.id).state == "failed"
    assert "parent message" in (row(services, child.id).last_error or "")
    assert row(services, dm.id).state == "sent"
    (dm_text,) = [m["text"] for m in standin.messages("D0AE")]
    assert "{thread_link}" not in dm_text and "weird_refusal" in dm_text
    first, last = standin.responses(url)
    assert "on its way" in first["text"], "the answer never waited for the root"
    assert "could not be posted" in last["text"] and "weird_refusal" in last["text"]
    clock.advance(timedelta(hours=1))
    services.deliver()
    assert len(standin.responses(url)) == 2


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


class _GoneForAWhile:
    """A recorder whose database is unreachable for its first `outage` writes."""

    def __init__(self, recorder: outbox_outcomes.Recorder, outage: int, error: Exception) -> None:
        self.recorder = recorder
        self.outage = outage
        self.error = error
        self.tries = 0

    def record(
        self, job: outbox_outcomes.Job, outcome: outbox_outcomes.Outcome
    ) -> outbox_outcomes.Result:
        self.tries += 1
        if self.tries <= self.outage:
            raise self.error
        return self.recorder.record(job, outcome)


def _outage() -> Exception:
    return OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))


def claimed_post(services: Services) -> tuple[int, int, Courier]:
    """A post claimed as a deliverer claims it (its id and attempt), and a courier for it."""
    message_id = queue_post(services)
    with services.db.session() as session:
        claimed = outbox_rows.claim(
            session, [message_id], services.clock.now(), timedelta(seconds=25),
            timedelta(seconds=3), set(),
        )  # fmt: skip
    courier = Courier(services.db, services.deliverer.slack, services.clock, None)
    return message_id, claimed[message_id], courier


def test_an_answer_slack_gave_during_a_database_outage_is_recorded_when_it_returns(
    services: Services, standin: SlackStandin
) -> None:
    """The row is not left `sending` for its lease (holding its channel) and then asked of
    Slack again: the outcome waits for the database (bot/outbox/courier.py)."""
    message_id, attempt, courier = claimed_post(services)
    gone = _GoneForAWhile(courier.recorder, outage=3, error=_outage())
    courier.recorder = gone  # type: ignore[assignment]
    naps: list[float] = []
    courier.sleep = naps.append

    result = courier.deliver(message_id, attempt)

    assert result.kind is outbox_outcomes.ResultKind.SENT
    assert (gone.tries, len(naps)) == (4, 3)
    assert row(services, message_id).state == "sent"
    assert len(standin.messages("C0CASES")) == 1


@pytest.mark.parametrize("lasting", [True, False], ids=["outage-outlasts-patience", "a-bug"])
def test_an_outcome_that_cannot_be_recorded_raises(
    services: Services, standin: SlackStandin, lasting: bool
) -> None:
    message_id, attempt, courier = claimed_post(services)
    error = _outage() if lasting else ValueError("a bug")
    courier.recorder = _GoneForAWhile(courier.recorder, outage=99, error=error)  # type: ignore[assignment]
    courier.patience = 0.0
    naps: list[float] = []
    courier.sleep = naps.append
    with pytest.raises(type(error)):
        courier.deliver(message_id, attempt)
    assert naps == []
    assert row(services, message_id).state == "sending"


def test_a_link_slack_will_not_give_is_never_sent_empty(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    """chat.getPermalink refused after the root went (a blip): the DM and the answer go
    without a link, saying where the thread is, never with an empty `<|…>` link or a
    button to nowhere."""
    standin.fail_next("chat.getPermalink", error="internal_error", times=10)
    now = services.clock.now()
    url = standin.new_response_url("U0CSM", "C0CMD")
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Open"},
        "url": "{thread_link}",
    }
    with services.db.session() as session:
        root = outbox.post(session, now, "C0CASES", "root", keep_permalink=True)
        outbox.linked(
            session, now, "U0AE", root, "Your case: <{thread_link}|open it>",
            [{"type": "actions", "elements": [button]}],
        )  # fmt: skip
        outbox.respond(session, now, url, "Opened: <{thread_link}|open it>", link_to=root)
    for _ in range(3):
        services.deliver()
        clock.advance(timedelta(seconds=5))
    (dm,) = standin.messages("D0AE")
    answers = [a["text"] for a in standin.responses(url)]
    for text in [dm["text"], *answers]:
        assert "<|" not in text and "{thread_link}" not in text
        assert "<#C0CASES>" in text, text
    assert '"url": ""' not in str(dm["blocks"]) and "'url': ''" not in str(dm["blocks"])
