"""Delivery keeps Slack's pace per channel without one channel holding the others back:
channels in parallel, one call in flight per channel, roots before older threads' lines,
unpaced methods unpaced, and rows whose deliverer died taken over within 30 s."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot import outbox
from bot.common.clock import FakeClock
from bot.outbox import Deliverer
from bot.ports import SlackTransport
from bot.runtime.services import Services
from demo.standin import SlackStandin
from slack_edge.clients import DELIVERY_TIMEOUT
from storage import outbox as outbox_rows
from storage.models import OutboxMessage
from tests.conftest import VirtualTime, eventually


class Watched:
    """A transport that lets a test see (and hold) calls while they are in flight."""

    def __init__(self, inner: SlackTransport, hold: float = 0.0) -> None:
        self.inner = inner
        self.hold = hold
        self.lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.most_per_channel = 0
        self.most_at_once = 0
        self.gate: threading.Event | None = None
        self.started = threading.Event()

    def call(self, method: str, args: dict[str, Any]) -> Mapping[str, Any]:
        channel = str(args.get("channel"))
        with self.lock:
            self.in_flight[channel] += 1
            self.most_per_channel = max(self.most_per_channel, self.in_flight[channel])
            self.most_at_once = max(self.most_at_once, sum(self.in_flight.values()))
        self.started.set()
        try:
            if self.gate is not None:
                self.gate.wait(10)
            time.sleep(self.hold)
            return self.inner.call(method, args)
        finally:
            with self.lock:
                self.in_flight[channel] -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def watch(services: Services, hold: float = 0.0) -> Watched:
    watched = Watched(services.deliverer.slack, hold)
    services.deliverer.slack = watched
    return watched


def posts(standin: SlackStandin, channel: str) -> list[str]:
    return [
        c.args["text"] for c in standin.calls("chat.postMessage") if c.args["channel"] == channel
    ]


def row(services: Services, row_id: int) -> OutboxMessage:
    with services.db.read() as session:
        found = session.get(OutboxMessage, row_id)
        assert found is not None
        return found


def test_channels_go_in_parallel_one_call_in_flight_per_channel(
    services: Services, standin: SlackStandin
) -> None:
    watched = watch(services, hold=0.05)
    with services.db.session() as session:
        for channel in ("C0A", "C0B", "C0C", "U0AE"):
            for i in range(3):
                outbox.post(session, services.clock.now(), channel, f"{channel} {i}")
    assert services.deliver().sent == 12
    assert watched.most_per_channel == 1
    assert watched.most_at_once >= 3, "different channels are delivered side by side"
    assert posts(standin, "C0A") == ["C0A 0", "C0A 1", "C0A 2"], "each channel in order"


def test_edits_ephemerals_answers_and_views_are_not_paced(
    services: Services, standin: SlackStandin
) -> None:
    now = services.clock.now()
    with services.db.session() as session:
        roots = [outbox.post(session, now, "C0CASES", f"root {i}") for i in range(4)]
    services.deliver()
    virtual: VirtualTime = services.deliverer.pacer.sleep.__self__  # type: ignore[attr-defined]
    virtual.slept.clear()
    with services.db.session() as session:
        for i, root in enumerate(roots):
            outbox.update(session, now, root, f"root {i} edited")
            url = standin.new_response_url("U0CSM", "C0CMD")
            outbox.respond(session, now, url, f"answer {i}")
            ephemeral = {"user": "U0CSM", "text": f"only you {i}"}
            outbox_rows.add(
                session, method="chat.postEphemeral", channel="C0CASES", payload=ephemeral, now=now
            )
            hello = {"type": "section", "text": {"type": "mrkdwn", "text": f"view {i}"}}
            view = {"user_id": "U0MGR", "view": {"type": "home", "blocks": [hello]}}
            outbox_rows.add(session, method="views.publish", channel="U0MGR", payload=view, now=now)
    assert services.deliver().sent == 16
    assert virtual.slept == [], "nothing but posts waits for the channel's pace"


def test_a_new_root_goes_before_older_threads_lines(
    services: Services, standin: SlackStandin
) -> None:
    now = services.clock.now()
    with services.db.session() as session:
        first = outbox.post(session, now, "C0CASES", "root A")
    services.deliver()
    with services.db.session() as session:
        for i in range(5):
            outbox.reply(session, now, first, f"A line {i}")
        outbox.post(session, now, "C0CASES", "root B")
    services.deliver()
    assert posts(standin, "C0CASES") == ["root A", "root B"] + [f"A line {i}" for i in range(5)]


def test_lines_waiting_long_go_before_new_roots(services: Services, standin: SlackStandin) -> None:
    clock: FakeClock = services.clock  # type: ignore[assignment]
    with services.db.session() as session:
        first = outbox.post(session, clock.now(), "C0CASES", "root A")
    services.deliver()
    with services.db.session() as session:
        outbox.reply(session, clock.now(), first, "A line")
    clock.advance(outbox_rows.LINE_PRIORITY_AGE + timedelta(seconds=1))
    with services.db.session() as session:
        outbox.post(session, clock.now(), "C0CASES", "root B")
    services.deliver()
    assert posts(standin, "C0CASES") == ["root A", "A line", "root B"]


def test_a_late_root_never_holds_back_the_owner_dm_or_the_confirmation(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    """The root is still in flight elsewhere (a deliverer that died holding it): after
    LINK_WAIT the DM and the answer go without the link; once the root is posted (its
    lease ran out, within 30 s), the DM is edited to link and a second answer links."""
    now = clock.now()
    url = standin.new_response_url("U0CSM", "C0CMD")
    with services.db.session() as session:
        root = outbox.post(session, now, "C0CASES", "root", keep_permalink=True)
        outbox.reply(session, now, root, "first line")
        outbox.linked(session, now, "U0AE", root, "You own it: <{thread_link}|open the thread>")
        outbox.respond(session, now, url, "Opened: <{thread_link}|open the thread>", link_to=root)
    with services.db.session() as session:  # a deliverer claims the root, then dies
        assert outbox_rows.claim(session, [root.id], now, outbox.LEASE, outbox.LINK_WAIT)
    assert services.deliver().sent == 0, "the DM and the answer wait a moment for the link"
    clock.advance(outbox.LINK_WAIT)
    assert services.deliver().sent == 2
    (dm,) = standin.messages("D0AE")
    assert "on its way" in dm["text"] and "{thread_link}" not in dm["text"]
    assert "on its way" in standin.responses(url)[0]["text"]
    assert standin.messages("C0CASES") == []

    clock.advance(outbox.LEASE - outbox.LINK_WAIT + timedelta(seconds=1))
    assert outbox.LEASE + timedelta(seconds=1) <= timedelta(seconds=30)
    services.deliver()
    root_msg, line = standin.messages("C0CASES")
    assert (root_msg["text"], line["text"], line["thread_ts"]) == (
        "root",
        "first line",
        root_msg["ts"],
    )
    (dm,) = standin.messages("D0AE")
    assert "https://" in dm["text"] and "on its way" not in dm["text"]
    assert "https://" in standin.responses(url)[1]["text"]


def test_the_lease_outlasts_a_call_and_is_renewed_while_it_lasts(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    """Two live deliverers never send one row: a slow call keeps its claim however long it
    takes, while a dead deliverer's claim runs out within 30 s."""
    assert timedelta(seconds=DELIVERY_TIMEOUT) < outbox.LEASE
    watched = watch(services)
    watched.gate = threading.Event()
    services.deliverer.renew_every = 0.01
    with services.db.session() as session:
        message = outbox.post(session, clock.now(), "C0CASES", "slow one")
    first = threading.Thread(target=services.deliver)
    first.start()
    try:
        assert watched.started.wait(5)
        for _ in range(3):
            renewed = row(services, message.id).claimed_until
            clock.advance(outbox.LEASE - timedelta(seconds=1))
            eventually(lambda r=renewed: row(services, message.id).claimed_until != r)
        other = Deliverer(services.db, standin_transport(services), clock)
        assert other.run_once().sent == 0, "the other deliverer leaves it alone"
    finally:
        watched.gate.set()
        first.join(10)
    assert len(standin.calls("chat.postMessage")) == 1
    assert row(services, message.id).state == "sent"


def standin_transport(services: Services) -> SlackTransport:
    slack = services.deliverer.slack
    return slack.inner if isinstance(slack, Watched) else slack


def test_after_downtime_a_dm_waits_for_its_root_going_in_the_same_pass(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    """Rows queued while no deliverer ran are all older than LINK_WAIT; a DM whose root
    goes now still waits the moment it takes, and carries the link (no edit after)."""
    now = clock.now()
    with services.db.session() as session:
        root = outbox.post(session, now, "C0CASES", "root", keep_permalink=True)
        outbox.linked(session, now, "U0AE", root, "You own it: <{thread_link}|open the thread>")
    clock.advance(timedelta(hours=1))
    assert services.deliver().sent == 2
    (dm,) = standin.messages("D0AE")
    assert "https://" in dm["text"] and "on its way" not in dm["text"]
    assert standin.calls("chat.update") == []


def test_in_a_burst_a_dm_does_not_wait_for_a_root_queued_behind_the_pace(
    services: Services, standin: SlackStandin
) -> None:
    """The first roots of a burst go at once and their DMs link; a root that must wait for
    the channel's pace does not hold its DM back: it goes at once, and is edited to link."""
    now = services.clock.now()
    count = outbox.BURST + 1
    with services.db.session() as session:
        for i in range(count):
            root = outbox.post(session, now, "C0CASES", f"root {i}", keep_permalink=True)
            text = f"case {i}: <{{thread_link}}|open the thread>"
            outbox.linked(session, now, f"U0OWNER{i}", root, text)
    services.deliver()
    first_texts = {c.args["channel"]: c.args["text"] for c in standin.calls("chat.postMessage")}
    for i in range(outbox.BURST):
        assert "https://" in first_texts[f"U0OWNER{i}"]
    late = first_texts[f"U0OWNER{outbox.BURST}"]
    assert "on its way" in late and "https://" not in late
    (edit,) = standin.calls("chat.update")
    assert "https://" in edit.args["text"]
    order = [c.args["channel"] for c in standin.calls("chat.postMessage")]
    late_root = len(order) - 1 - order[::-1].index("C0CASES")
    assert order.index(f"U0OWNER{outbox.BURST}") < late_root
