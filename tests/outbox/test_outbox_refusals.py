"""Slack's refusals, one class at a time (bot/outbox/refusals.py), over the HTTP stand-in:
workspace-wide refusals pause and resume by themselves; a channel's refusal makes its
messages wait while people are told another way; a message's refusal sends plain text."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot import outbox
from bot.common.clock import FakeClock
from bot.outbox.refusals import Refusal, classify
from bot.runtime.services import Services
from demo.standin import SlackStandin
from slack_edge.transport import WebTransport
from storage import outbox as outbox_rows
from storage.models import Case, OutboxMessage
from tests.conftest import RunningApp, eventually, seed_account
from tests.slack_events import delivered

# The examples of issue 21, then one of our own in each class.
WORKSPACE = [
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "team_access_not_granted",
    "fatal_error",
    "internal_error",
    "service_unavailable",
    "request_timeout",
    "ekm_access_denied",
]
CHANNEL = [
    "is_archived",
    "channel_not_found",
    "not_in_channel",
    "restricted_action_read_only_channel",
    "restricted_action",
]
MESSAGE = ["invalid_blocks", "msg_too_long", "invalid_attachments", "invalid_blocks_format"]


def states(services: Services) -> dict[int, str]:
    with services.db.read() as session:
        return dict(session.execute(select(OutboxMessage.id, OutboxMessage.state)).all())


def row(services: Services, row_id: int) -> OutboxMessage:
    with services.db.read() as session:
        found = session.get(OutboxMessage, row_id)
        assert found is not None
        return found


def test_every_class_has_its_examples() -> None:
    assert {classify(200, e) for e in WORKSPACE} == {Refusal.WORKSPACE}
    assert {classify(429, "ratelimited"), classify(503, "HTTP 503")} == {Refusal.WORKSPACE}
    assert classify(None, "connection error") is Refusal.WORKSPACE
    assert {classify(200, e) for e in CHANNEL} == {Refusal.CHANNEL}
    assert {classify(200, e) for e in MESSAGE} == {Refusal.MESSAGE}
    assert classify(200, "something_new") is Refusal.UNKNOWN


# -- workspace-wide --------------------------------------------------------------------------


@pytest.mark.parametrize("error", WORKSPACE)
def test_a_workspace_refusal_pauses_delivery_once_loudly_and_resumes_by_itself(
    services: Services,
    standin: SlackStandin,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    error: str,
) -> None:
    url = standin.new_response_url("U0CSM", "C0CMD")
    now = clock.now()
    with services.db.session() as session:
        root = outbox.post(session, now, "C0CASES", "root")
        outbox.reply(session, now, root, "line")
        outbox.notify(session, now, "U0AE", "a DM")
        outbox.respond(session, now, url, "Opening…")
    standin.refuse_token(error)
    with caplog.at_level(logging.WARNING):
        first = services.deliver()
        tried_at_once = len(standin.calls())  # the calls in flight when it began
        for _ in range(5):
            clock.advance(timedelta(minutes=2))
            services.deliver()
    assert first.stopped == error and first.sent == 1, "a response_url needs no token"
    assert "failed" not in states(services).values(), "a workspace refusal never fails a row"
    assert error in (services.deliverer.pause_reason() or "")
    told = [r for r in caplog.records if "refused the workspace" in r.getMessage()]
    assert len(told) == 1 and told[0].levelno == logging.ERROR
    tries = [c for c in standin.calls() if c.fault == error]
    assert tried_at_once <= 2 and len(tries) == tried_at_once + 5, "then one try per pass"
    standin.refuse_token(None)
    clock.advance(timedelta(minutes=2))
    assert services.deliver().sent == 3
    assert services.deliverer.pause_reason() is None
    assert [m["text"] for m in standin.messages("C0CASES")] == ["root", "line"]


def test_rate_limit_and_outage_pause_with_retry_after_and_backoff(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    standin.fail_next("chat.postMessage", status=429, retry_after=30)
    with services.db.session() as session:
        for channel in ("C0A", "C0B", "C0C"):
            outbox.post(session, clock.now(), channel, "hello")
    first = services.deliver()
    assert first.stopped == "ratelimited" and first.sent <= 2  # those already in flight
    with services.db.session() as session:
        outbox.post(session, clock.now(), "C0D", "later")
    clock.advance(timedelta(seconds=29))
    assert services.deliver().sent == 0, "Retry-After holds for every channel"
    standin.set_down(True)
    clock.advance(timedelta(seconds=1))
    services.deliver()
    assert "service_unavailable" in (services.deliverer.pause_reason() or "")
    standin.set_down(False)
    clock.advance(timedelta(seconds=2))
    services.deliver()
    assert len(standin.messages()) == 4 and services.deliverer.pause_reason() is None


def test_no_connection_is_a_workspace_pause(services: Services, clock: FakeClock) -> None:
    working = services.deliverer.slack
    services.deliverer.slack = WebTransport(WebClient(base_url="http://127.0.0.1:9/api/"))
    with services.db.session() as session:
        outbox.post(session, clock.now(), "C0CASES", "root")
    report = services.deliver()
    assert report.stopped and report.stopped.startswith("connection error")
    services.deliverer.slack = working
    clock.advance(timedelta(seconds=5))
    assert services.deliver().sent == 1


# -- channel-level ---------------------------------------------------------------------------


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    seed_account(running_app.services, "acme", "Acme Corp")
    return running_app


def open_case(app: RunningApp) -> None:
    assert app.slack.slash_command("cancel acme budget cut", user_id="U0CSM").status == 200
    eventually(lambda: case_count(app.services) == 1)
    app.tick()


def case_count(services: Services) -> int:
    with services.db.read() as session:
        return len(session.scalars(select(Case.id)).all())


def test_an_archived_cases_channel_keeps_the_thread_waiting_and_tells_people_at_once(
    app: RunningApp,
) -> None:
    standin, services = app.standin, app.services
    standin.archive_channel("C0CASES")
    open_case(app)
    services.cases.add_note(1, "U0AE", "called their CFO")  # a line in the waiting thread
    app.tick()

    assert standin.messages("C0CASES") == []
    (answer,) = standin.responses()
    assert "Opened case #1" in answer["text"] and "archived" in answer["text"]
    assert "{thread_link}" not in answer["text"] and "https://" not in answer["text"]
    (dm,) = standin.messages("D0AE")
    assert "You own a new case" in dm["text"] and "Acme Corp" in dm["text"]
    assert "archived" in dm["text"], "the owner is told why the thread is missing"
    (waiting,) = services.deliverer.waiting_channels()
    assert (waiting.channel, waiting.reason) == ("C0CASES", "is_archived")
    assert waiting.messages >= 2, "the root and the line in its thread wait"
    assert "failed" not in states(services).values()

    standin.archive_channel("C0CASES", archived=False)
    event = {"type": "channel_unarchive", "channel": "C0CASES", "user": "U0ADMIN"}
    assert delivered(app.slack, event).status == 200
    eventually(lambda: services.deliverer.waiting_channels()[0].next_try_at <= services.clock.now())
    app.tick()

    root, *thread = standin.messages("C0CASES")
    assert "Acme Corp" in root["text"] and thread and thread[0]["thread_ts"] == root["ts"]
    assert "called their CFO" in thread[0]["text"]
    (dm,) = standin.messages("D0AE")
    assert "https://" in dm["text"] and "archived" not in dm["text"], "the DM now links"
    answers = standin.responses()
    assert len(answers) == 2 and "https://" in answers[1]["text"]
    assert services.deliverer.waiting_channels() == []


def test_a_waiting_channel_is_tried_again_on_a_timer_with_backoff(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    standin.remove_channel("C0GONE")
    with services.db.session() as session:
        first = outbox.post(session, clock.now(), "C0GONE", "one")
        outbox.post(session, clock.now(), "C0GONE", "two")
    assert services.deliver().waiting == 1
    for minutes in (1, 2, 4):
        clock.advance(timedelta(minutes=minutes) - timedelta(seconds=1))
        services.deliver()
        calls = len(standin.calls("chat.postMessage"))
        clock.advance(timedelta(seconds=1))
        services.deliver()
        assert len(standin.calls("chat.postMessage")) == calls + 1, "one try per backoff"
    assert row(services, first.id).state == "pending"
    standin.remove_channel("C0GONE", gone=False)
    clock.advance(timedelta(minutes=8))
    assert services.deliver().sent == 2


@pytest.mark.parametrize(
    "refuse",
    [
        lambda s: s.remove_app("C0PRIV", private=True),
        lambda s: s.archive_channel("C0PRIV"),
        lambda s: s.fail_next("chat.postMessage", error="restricted_action_read_only_channel"),
        lambda s: s.fail_next("chat.postMessage", error="restricted_action"),
    ],
    ids=["private_without_the_app", "archived", "read_only", "who_may_post"],
)
def test_a_channel_refusal_waits_and_a_member_joined_event_tries_at_once(
    app: RunningApp, refuse: object
) -> None:
    standin, services = app.standin, app.services
    refuse(standin)  # type: ignore[operator]
    with services.db.session() as session:
        outbox.post(session, services.clock.now(), "C0PRIV", "hello")
    app.tick()
    assert standin.messages("C0PRIV") == [] and services.deliverer.waiting_channels()
    standin.reset()
    event = {"type": "member_joined_channel", "user": "U0BOT", "channel": "C0PRIV"}
    assert delivered(app.slack, event).status == 200
    eventually(lambda: services.deliverer.waiting_channels()[0].next_try_at <= services.clock.now())
    app.tick()
    assert [m["text"] for m in standin.messages("C0PRIV")] == ["hello"]


def test_not_in_a_public_channel_joins_it_and_posts(
    services: Services, standin: SlackStandin
) -> None:
    standin.remove_app("C0PUBLIC")
    with services.db.session() as session:
        outbox.post(session, services.clock.now(), "C0PUBLIC", "hello")
    assert services.deliver().sent == 1
    assert [c.method for c in standin.calls()] == [
        "chat.postMessage",
        "conversations.join",
        "chat.postMessage",
    ]
    assert services.deliverer.waiting_channels() == []


# -- message-level ---------------------------------------------------------------------------


def post_refused(services: Services, standin: SlackStandin, error: str) -> OutboxMessage:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*rich*"}}]
    text = "plain words"
    if error == "invalid_blocks":
        blocks = [{"type": "section"}]  # the stand-in refuses it as Slack does
    elif error == "msg_too_long":
        text = "x" * 50_000
    else:
        standin.fail_next("chat.postMessage", error=error)
    with services.db.session() as session:
        return outbox.post(session, services.clock.now(), "C0CASES", text, blocks)


@pytest.mark.parametrize("error", MESSAGE)
def test_a_refused_message_goes_as_plain_text(
    services: Services, standin: SlackStandin, error: str
) -> None:
    message = post_refused(services, standin, error)
    assert services.deliver().sent == 1
    (posted,) = standin.messages("C0CASES")
    assert posted["blocks"] == []
    if error == "msg_too_long":
        assert len(posted["text"]) <= 4000 and posted["text"].endswith("…")
    else:
        assert posted["text"] == "plain words"
    assert error in (row(services, message.id).last_error or "")


def test_a_refused_edit_goes_as_plain_text_and_clears_the_blocks(
    services: Services, standin: SlackStandin
) -> None:
    now = services.clock.now()
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*rich*"}}]
    with services.db.session() as session:
        root = outbox.post(session, now, "C0CASES", "v1", blocks)
        outbox.update(session, now, root, "v2", [{"type": "section"}])
    assert services.deliver().sent == 2
    (posted,) = standin.messages("C0CASES")
    assert (posted["text"], posted["blocks"]) == ("v2", [])


def test_plain_text_refused_too_fails_loudly(
    services: Services, standin: SlackStandin, caplog: pytest.LogCaptureFixture
) -> None:
    standin.fail_next("chat.postMessage", error="invalid_blocks", times=2)
    with services.db.session() as session:
        message = outbox.post(session, services.clock.now(), "C0CASES", "words", [])
    with caplog.at_level(logging.ERROR):
        assert services.deliver().failed == 1
    assert "plain text too" in (row(services, message.id).last_error or "")
    assert any("failed for good" in r.getMessage() for r in caplog.records)


def test_counts_show_nothing_failed_while_channels_wait(
    services: Services, standin: SlackStandin
) -> None:
    standin.archive_channel("C0CASES")
    with services.db.session() as session:
        outbox.post(session, services.clock.now(), "C0CASES", "root")
    services.deliver()
    with services.db.read() as session:
        assert outbox_rows.counts(session) == {"pending": 1}
