"""Slack's 3 s for an acknowledgement run from the request's arrival, not from when a
listener starts (README, *What survives what*: ack first). On a busy process Bolt's
authorization, middleware and listener queue spend part of them, so a press or a command
still working is acknowledged `ACK_BUDGET_SECONDS` after the request arrived; a command's
answer given after that goes on its response_url."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from types import SimpleNamespace
from typing import Any

import pytest
from slack_bolt import BoltContext
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.runtime.services import Services
from demo.standin import views as standin_views
from handlers import acting
from handlers.slack_app import build_bolt_app
from handlers.socket_mode import StampingHandler
from slack_edge.checkin_messages import CheckinAction
from tests.conftest import RunningApp, eventually, seed_account

churn = importlib.import_module("handlers.listeners.commands.churn")  # the package re-exports
# a function of that name

BOLT_WAITS = 1.5
"""Bolt's wait for an acknowledgement in these tests (it is 3 s, Slack's own limit)."""


def busy(app: RunningApp, monkeypatch: pytest.MonkeyPatch, queued: float) -> None:
    """Every listener waits `queued` seconds in Bolt's queue before it starts (its threads
    busy with other work), and Bolt gives up waiting for an acknowledgement after
    BOLT_WAITS (404, as Slack would show an error); the budget is set so that counting it
    from the listener's start misses Bolt's wait."""
    monkeypatch.setattr(acting, "ACK_BUDGET_SECONDS", 0.9)
    for listener in app.web_bolt._listeners:
        monkeypatch.setattr(listener, "ack_timeout", BOLT_WAITS)
    runner = app.web_bolt._listener_runner
    executor = runner.listener_executor

    class Queued(Executor):
        def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
            return executor.submit(lambda: time.sleep(queued) or fn(*args, **kwargs))

    monkeypatch.setattr(runner, "listener_executor", Queued())


def test_a_press_is_acknowledged_within_slacks_time_counted_from_its_arrival(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy(running_app, monkeypatch, queued=0.8)  # from the listener's start: 1.7 s, too late
    release = threading.Event()
    monkeypatch.setattr(
        running_app.services.checkins, "answer", lambda *_a: release.wait(10) and None
    )
    payload = running_app.slack.block_action(
        CheckinAction.CUSTOMER.value, "7", user_id="U0CSM", channel_id="C0CASES", message_ts="1.0"
    )
    try:
        assert running_app.slack.interactive(payload).status == 200
    finally:
        release.set()


def test_a_slow_command_is_acknowledged_in_time_and_its_answer_follows_on_the_url(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_account(running_app.services, "acme", "Acme Corp")
    busy(running_app, monkeypatch, queued=0.2)
    queue_typed, release = churn.queue_typed, threading.Event()

    def slow(*args: Any) -> Any:
        assert release.wait(10)
        return queue_typed(*args)

    monkeypatch.setattr(churn, "queue_typed", slow)
    url = running_app.standin.new_response_url()
    answer = running_app.slack.slash_command("cancel acme budget cut", response_url=url)
    release.set()
    assert answer.status == 200 and answer.text == "", "acknowledged with nothing yet"
    said = eventually(lambda: running_app.standin.responses(url))
    assert "Opening a case for *Acme Corp*" in said[0]["text"]
    assert said[0]["response_type"] == "ephemeral" and said[0]["replace_original"] is False


def test_a_command_whose_modal_trigger_ran_out_while_busy_is_told_to_type_it_again(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The look-up outlasts the budget and the trigger's 3 s (here 1.2 s): the timer
    acknowledged with nothing, Slack refuses the modal (`expired_trigger_id`), and the
    person is told plainly on the response_url, not "something went wrong" with a
    traceback logged as an unhandled error."""
    busy(running_app, monkeypatch, queued=0.2)
    monkeypatch.setattr(standin_views, "TRIGGER_SECONDS", 1.2)
    queue_typed = churn.queue_typed

    def slow(*args: Any) -> Any:
        time.sleep(1.4)
        return queue_typed(*args)

    monkeypatch.setattr(churn, "queue_typed", slow)
    url = running_app.standin.new_response_url()
    trigger = running_app.standin.new_trigger_id("U0CSM")
    answer = running_app.slack.slash_command(
        "cancel nobody-knows budget cut", response_url=url, trigger_id=trigger
    )
    assert answer.status == 200 and answer.text == ""
    said = eventually(lambda: running_app.standin.responses(url))
    assert "type the command again" in said[0]["text"], said
    assert "went wrong" not in said[0]["text"]
    assert not [r for r in caplog.records if r.name == "savedesk.errors" and r.levelname == "ERROR"]


def test_a_socket_mode_request_counts_the_budget_from_its_arrival(services: Services) -> None:
    """Over Socket Mode the stamp is put on in the handler (handlers/socket_mode.py), before
    Bolt's authorization, middleware and listener queue: as `/slack/events` puts it on."""
    bolt = build_bolt_app(services)
    seen: list[Any] = []

    @bolt.middleware
    def note(context: BoltContext, next: Callable[[], Any]) -> Any:
        seen.append(context.get(acting.ARRIVED))
        return next()

    handler = StampingHandler(bolt, "xapp-1-test")
    client = SimpleNamespace(
        send_socket_mode_response=lambda _r: None, logger=handler.client.logger
    )
    body = {"type": "app_rate_limited", "team_id": "T0TEST", "api_app_id": "A0TEST"}
    before = time.monotonic()
    envelope = SocketModeRequest(type="events_api", envelope_id="e1", payload=body)
    handler.handle(client, envelope)  # type: ignore[arg-type]
    handler.client.close()
    assert seen and isinstance(seen[0], float) and before <= seen[0] <= time.monotonic()
