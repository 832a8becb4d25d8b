"""Events and presses whose work must survive the process are handled before Slack gets
its 200 (handlers.acting: `on_event`, `element`). For events, Bolt's after-acknowledgement
executor is replaced by one that never runs anything, so work left for after the 200 would
not happen at all; an event the database cannot take is answered 503, for Slack to send
again (README, *What survives what*)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

import pytest
from slack_bolt import BoltResponse
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.people.standing import Standing
from bot.policy import Policy, parse_policy
from demo.standin.sender import Response
from handlers import acting
from handlers.errors import handle_error
from slack_edge.checkin_messages import CheckinAction
from storage.models import OutboxMessage
from tests.cases.test_real_people import standing
from tests.conftest import RunningApp, eventually, unhurried
from tests.signals.test_watch_and_shortcut import SIGNALS_POLICY, message
from tests.slack_events import delivered


class Never(Executor):
    """Bolt's listener executor that drops what it is given: a process killed right after
    the acknowledgement."""

    def __init__(self) -> None:
        self.dropped = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.dropped += 1
        return Future()


@pytest.fixture
def policy() -> Policy:
    return parse_policy(SIGNALS_POLICY, "test-policy.toml")


@pytest.fixture
def killed_after_ack(running_app: RunningApp) -> Iterator[Never]:
    """And the 200 waits for the work however slow the machine: these tests look at one
    delivery each (a 503 past the budget is tested below)."""
    runner = running_app.web_bolt.listener_runner
    inner, runner.listener_executor = runner.listener_executor, Never()
    yield runner.listener_executor
    runner.listener_executor = inner


def prompts(app: RunningApp) -> list[OutboxMessage]:
    with app.services.db.read() as session:
        found = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "C0SUPPORT"))
        return list(found)


def test_a_watched_message_is_offered_before_its_acknowledgement(
    running_app: RunningApp, killed_after_ack: Never
) -> None:
    answer = running_app.slack.event(message("We are not renewing, sorry"), event_id="Ev1")
    assert answer.status == 200
    assert len(prompts(running_app)) == 1, "the offer was queued before the 200"
    again = running_app.slack.event(message("We are not renewing, sorry"), event_id="Ev1")
    assert again.status == 200
    assert len(prompts(running_app)) == 1, "Slack's retry changes nothing"


def test_a_person_event_is_kept_before_its_acknowledgement(
    running_app: RunningApp, killed_after_ack: Never
) -> None:
    joined = {"id": "U0GUEST", "team_id": "T0OTHER", "is_stranger": True, "deleted": False}
    assert delivered(running_app.slack, {"type": "team_join", "user": joined}).status == 200
    assert standing(running_app, "U0GUEST") is Standing.EXTERNAL


def test_an_event_the_database_cannot_take_is_left_for_slack_to_send_again(
    running_app: RunningApp, killed_after_ack: Never, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(running_app.services.signals, "watch", down)
    answer = running_app.slack.event(message("We are not renewing, sorry"), event_id="Ev2")
    assert answer.status == 503
    monkeypatch.undo()
    retried = running_app.slack.event(message("We are not renewing, sorry"), event_id="Ev2")
    assert retried.status == 200
    assert len(prompts(running_app)) == 1


def test_an_app_home_is_still_published_after_the_acknowledgement(
    running_app: RunningApp, killed_after_ack: Never
) -> None:
    """Publishing a home is a Slack call nobody waits on: it stays after the 200."""
    event = {"type": "app_home_opened", "user": "U0CSM", "tab": "home"}
    assert delivered(running_app.slack, event).status == 200
    assert killed_after_ack.dropped == 1


def test_a_press_is_acknowledged_once_its_work_is_done(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack shows a press as taken when it gets the 200: by then its work is committed."""
    done: list[int] = []
    working, release = threading.Event(), threading.Event()

    def answer(checkin_id: int, user: str, answer: Any) -> None:
        working.set()
        assert release.wait(30)
        done.append(checkin_id)

    monkeypatch.setattr(running_app.services.checkins, "answer", answer)
    payload = running_app.slack.block_action(
        CheckinAction.CUSTOMER.value, "7", user_id="U0CSM", channel_id="C0CASES", message_ts="1.0"
    )
    with ThreadPoolExecutor(1) as pool:
        reply = pool.submit(running_app.slack.interactive, payload)
        assert working.wait(30), "the listener is waiting in `answer`"
        time.sleep(0.2)  # time for an early acknowledgement to arrive
        assert not reply.done(), "acknowledged before its work was done"
        release.set()
        assert reply.result(30).status == 200
    assert done == [7]


def test_a_press_whose_work_failed_is_answered_that_nothing_was_saved(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_args: Any) -> None:
        raise OperationalError("UPDATE", {}, Exception("connection refused"))

    monkeypatch.setattr(running_app.services.checkins, "answer", down)
    payload = running_app.slack.block_action(
        CheckinAction.CUSTOMER.value, "7", user_id="U0CSM", channel_id="C0CASES", message_ts="1.0"
    )
    reply = running_app.slack.interactive(payload)
    assert "nothing was saved" in reply.text, "the answer to the press says so, not an empty 200"


def test_an_event_still_being_handled_at_the_budget_is_left_for_slacks_retry(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack slow to answer a look-up must not hold the event past Slack's 3 s: 503, the
    work finishes, and Slack's retry finds it done."""
    monkeypatch.setattr(acting, "ACK_BUDGET_SECONDS", 0.2)
    signals = running_app.services.signals
    watch, release = signals.watch, threading.Event()

    def slow(*args: Any) -> Any:
        assert release.wait(30)
        return watch(*args)

    monkeypatch.setattr(signals, "watch", slow)
    first = running_app.slack.event(message("We are not renewing, sorry"), event_id="Ev3")
    assert first.status == 503
    release.set()
    eventually(lambda: len(prompts(running_app)) == 1)
    retried = running_app.slack.event(message("We are not renewing, sorry"), event_id="Ev3")
    assert retried.status == 200
    assert len(prompts(running_app)) == 1


def test_an_event_that_fails_after_the_budget_is_logged_not_lost_in_silence(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The 503 was sent before the work failed: nobody else would ever see the error."""
    monkeypatch.setattr(acting, "ACK_BUDGET_SECONDS", 0.2)
    release = threading.Event()

    def slow_then_broken(*_args: Any) -> Any:
        assert release.wait(30)
        raise RuntimeError("the look-up broke")

    monkeypatch.setattr(running_app.services.signals, "watch", slow_then_broken)
    first = running_app.slack.event(message("We are not renewing, sorry"), event_id="Ev4")
    assert first.status == 503
    release.set()
    eventually(lambda: "failed after its acknowledgement budget" in caplog.text)
    assert "the look-up broke" in caplog.text


def test_delivered_like_slack_retries_until_the_work_is_done(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests deliver events with `delivered`, as Slack would: a first delivery answered 503
    on a loaded machine is sent again, and its 200 means the work was done once."""
    monkeypatch.setattr(acting, "ACK_BUDGET_SECONDS", 0.2)
    signals, sender = running_app.services.signals, running_app.slack
    watch, send, calls, answers = signals.watch, sender.event, [], []
    first_answered = threading.Event()

    def slow_once(*args: Any) -> Any:
        calls.append(args)
        if len(calls) == 1:
            assert first_answered.wait(30), "the first delivery's work outlives its answer"
        return watch(*args)

    def event(*args: Any, **kwargs: Any) -> Response:
        answer = send(*args, **kwargs)
        answers.append(answer.status)
        first_answered.set()
        unhurried(monkeypatch)  # the retries find the work done, however slow the machine
        return answer

    monkeypatch.setattr(signals, "watch", slow_once)
    monkeypatch.setattr(sender, "event", event)
    answer = delivered(sender, message("We are not renewing, sorry"))
    assert answer.status == 200
    assert answers[0] == 503 and len(calls) >= 2, "the first delivery was answered 503, sent again"
    assert len(prompts(running_app)) == 1


def test_a_press_still_working_at_the_budget_is_acknowledged_then(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(acting, "ACK_BUDGET_SECONDS", 0.2)
    release, done = threading.Event(), threading.Event()

    def answer(*_args: Any) -> None:
        assert release.wait(30)
        done.set()

    monkeypatch.setattr(running_app.services.checkins, "answer", answer)
    payload = running_app.slack.block_action(
        CheckinAction.CUSTOMER.value, "7", user_id="U0CSM", channel_id="C0CASES", message_ts="1.0"
    )
    assert running_app.slack.interactive(payload).status == 200, "before Slack's 3 s"
    assert not done.is_set()
    release.set()
    assert done.wait(30)


def test_a_database_error_before_an_event_is_handled_asks_slack_to_send_it_again() -> None:
    """In OAuth mode the installation is read before any listener: that read failing is a
    503 for an event (a 200 would lose it); after an acknowledgement nothing is answered."""
    down = OperationalError("SELECT", {}, Exception("connection refused"))
    event_body = {"type": "event_callback", "event": {"type": "message"}}
    answered = handle_error(down, event_body, None, None, BoltResponse(status=200))
    assert answered is not None and answered.status == 503
    assert handle_error(down, event_body, None, None, None) is None
    bug = ValueError("a bug")
    assert handle_error(bug, event_body, None, None, BoltResponse(status=200)).status == 200


def test_an_uninstall_in_token_mode_is_acknowledged_and_said_loudly(
    running_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """With one token there is no installation to forget; Slack must not retry it (404)."""
    assert delivered(running_app.slack, {"type": "app_uninstalled"}).status == 200
    assert "reinstall the app" in caplog.text
