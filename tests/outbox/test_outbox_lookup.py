"""A row whose deliverer died mid-call is looked for in Slack before it is posted again
(bot/outbox/lookup.py), and only such a row; and a pass reads each channel's head only,
in the same order as before (storage/outbox.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import outbox
from bot.common.clock import FakeClock
from bot.outbox import lookup
from bot.runtime.services import Services
from demo.standin import SlackStandin
from storage import outbox as outbox_rows
from storage.models import OutboxMessage


@pytest.fixture
def standin(clock: FakeClock) -> Iterator[SlackStandin]:
    """Message ts follow the test's clock, as Slack's follow real time."""
    with SlackStandin(wallclock=lambda: clock.now().timestamp()) as server:
        yield server


def row(services: Services, row_id: int) -> OutboxMessage:
    with services.db.read() as session:
        found = session.get(OutboxMessage, row_id)
        assert found is not None
        return found


def claimed_by_a_deliverer_that_dies(services: Services, message: OutboxMessage) -> None:
    now = services.clock.now()
    with services.db.session() as session:
        assert outbox_rows.claim(session, [message.id], now, outbox.LEASE, outbox.LINK_WAIT)


def posted_before_it_died(services: Services, message: OutboxMessage, text: str) -> None:
    """What the dead deliverer had sent: Slack accepted it; nobody recorded the answer."""
    args = lookup.tag({"channel": message.channel, "text": text}, message.id)
    services.deliverer.slack.call("chat.postMessage", args)


def lease_over(services: Services) -> None:
    services.clock.advance(outbox.LEASE + timedelta(seconds=1))


def test_a_dm_posted_before_its_deliverer_died_is_recorded_not_posted_again(
    services: Services, standin: SlackStandin
) -> None:
    with services.db.session() as session:
        dm = outbox.notify(session, services.clock.now(), "U0AE", "You own a case")
    claimed_by_a_deliverer_that_dies(services, dm)
    posted_before_it_died(services, dm, "You own a case")
    lease_over(services)
    assert services.deliver().sent == 1
    (message,) = standin.messages("D0AE")
    sent = row(services, dm.id)
    assert (sent.state, sent.channel, sent.ts) == ("sent", "D0AE", message["ts"])
    assert sent.in_doubt_since is None
    assert len(standin.calls("chat.postMessage")) == 1
    assert standin.calls("conversations.open")[0].args["users"] == "U0AE"


def test_a_row_not_found_in_slack_is_posted_once_and_only_rows_in_doubt_are_looked_up(
    services: Services, standin: SlackStandin
) -> None:
    now = services.clock.now()
    with services.db.session() as session:
        root = outbox.post(session, now, "C0CASES", "A case")
    claimed_by_a_deliverer_that_dies(services, root)  # died before Slack had it
    lease_over(services)
    with services.db.session() as session:
        outbox.reply(session, services.clock.now(), root, "a line")
    assert services.deliver().sent == 2
    posted, line = standin.messages("C0CASES")
    assert lookup.names_row(posted, root.id) and posted["text"] == "A case"
    assert line["thread_ts"] == posted["ts"]
    assert len(standin.calls("conversations.history")) == 1, "the root only: it was in doubt"
    assert standin.calls("conversations.replies") == [], "the line was never in doubt"


def test_slack_unreadable_keeps_the_row_in_doubt_until_it_can_be_looked_up(
    services: Services, standin: SlackStandin
) -> None:
    with services.db.session() as session:
        root = outbox.post(session, services.clock.now(), "C0CASES", "A case")
    claimed_by_a_deliverer_that_dies(services, root)
    posted_before_it_died(services, root, "A case")
    lease_over(services)
    standin.fail_next("conversations.history", status=429, retry_after=2)
    report = services.deliver()
    assert (report.sent, report.stopped) == (0, "ratelimited")
    waiting = row(services, root.id)
    assert waiting.state == "pending" and waiting.in_doubt_since is not None
    services.clock.advance(timedelta(seconds=3))
    services.deliverer.pacer.sleep(3)
    assert services.deliver().sent == 1
    assert len(standin.messages("C0CASES")) == 1
    assert len(standin.calls("conversations.history")) == 2


def test_without_the_history_scope_a_row_in_doubt_is_posted_at_least_once(
    services: Services, standin: SlackStandin, caplog: pytest.LogCaptureFixture
) -> None:
    with services.db.session() as session:
        root = outbox.post(session, services.clock.now(), "C0CASES", "A case")
    claimed_by_a_deliverer_that_dies(services, root)
    posted_before_it_died(services, root, "A case")
    lease_over(services)
    standin.fail_next("conversations.history", error="missing_scope")
    with caplog.at_level(logging.WARNING):
        assert services.deliver().sent == 1
    assert "will not let it be looked for (missing_scope)" in caplog.text
    assert len(standin.messages("C0CASES")) == 2, "at least once: shown twice"


def test_a_pass_reads_each_channels_head_and_keeps_roots_first_and_thread_order(
    services: Services, standin: SlackStandin
) -> None:
    cases = outbox_rows.HEAD_DEPTH + 4  # more than one head's worth of each kind
    now = services.clock.now()
    with services.db.session() as session:
        for n in range(cases):
            root = outbox.post(session, now, "C0CASES", f"root {n}")
            outbox.reply(session, now, root, f"line {n}")
    services.deliver()
    texts = [m["text"] for m in standin.messages("C0CASES")]
    assert texts == [f"root {n}" for n in range(cases)] + [f"line {n}" for n in range(cases)]
    with services.db.read() as session:
        assert set(session.scalars(select(OutboxMessage.state))) == {"sent"}
