"""One way a case is born: every way in reaches `Services.signals.open`, over real HTTP.

A spy wraps the one `SignalService` instance's `open` (and still calls it), then each surface
is driven as Slack or a signal source would drive it: `/churn cancel`, the new-case modal,
the message shortcut, a watched channel's prompt, an integration bot and the webhook.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.cases.models import Opened, Signal
from bot.policy import Policy, parse_policy
from slack_edge.case_messages import CaseAction
from storage.models import Case
from tests.conftest import RunningApp, eventually, seed_account
from tests.signals.test_signals_webhook import send, signal
from tests.signals.test_watch_and_shortcut import (
    SIGNALS_POLICY,
    Listeners,
    Watching,
    bot_message,
    button_value,
    message,
    offers,
    opened_view,
    shortcut,
    submission,
)


class Spy:
    """Records every signal that reached `SignalService.open`, then lets it through."""

    def __init__(self, app: RunningApp) -> None:
        self.calls: list[Signal] = []
        self._open = app.services.signals.open

    def __call__(self, account_id: int, signal: Signal) -> Opened:
        self.calls.append(signal)
        return self._open(account_id, signal)


@pytest.fixture
def policy() -> Policy:
    return parse_policy(SIGNALS_POLICY, "test-policy.toml")


@pytest.fixture
def watch(running_app: RunningApp) -> Iterator[Watching]:
    runner = running_app.web_bolt.listener_runner
    listeners = Listeners(runner.listener_executor)
    runner.listener_executor = listeners
    yield Watching(running_app, listeners)
    listeners.settle()


@pytest.fixture
def spy(running_app: RunningApp, monkeypatch: pytest.MonkeyPatch) -> Spy:
    spy = Spy(running_app)
    monkeypatch.setattr(running_app.services.signals, "open", spy)
    return spy


def cases(app: RunningApp) -> list[Case]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def reached(spy: Spy, app: RunningApp, source: str) -> Case:
    """The one entry point saw the signal from `source`, and exactly that case exists."""
    eventually(lambda: len(cases(app)) == 1)
    assert [s.source for s in spy.calls] == [source]
    [case] = cases(app)
    assert case.source == source
    return case


def test_slash_command_reaches_signal_service(watch: Watching, spy: Spy) -> None:
    app = watch.app
    seed_account(app.services, "acme", "Acme Corp")
    assert app.slack.slash_command("cancel acme budget cut", user_id="U0CSM").status == 200
    case = reached(spy, app, "/churn")
    assert spy.calls[0].kind == case.kind == "cancellation"


def test_new_case_modal_reaches_signal_service(watch: Watching, spy: Spy) -> None:
    app = watch.app
    acme = seed_account(app.services, "acme", "Acme Corp")
    values = {
        "account": {
            "account": {"type": "external_select", "selected_option": {"value": str(acme)}}
        },
        "kind": {"kind": {"type": "static_select", "selected_option": {"value": "downgrade"}}},
        "reason": {"reason": "moving to the basic plan"},
    }
    submit = app.slack.view_submission("new_case", values, user_id="U0CSM", view_id="V1")
    assert watch.interactive(submit).text == ""
    case = reached(spy, app, "modal")
    assert spy.calls[0].dedupe == ("slack-view", "V1") and case.kind == "downgrade"


def test_message_shortcut_reaches_signal_service(watch: Watching, spy: Spy) -> None:
    app, ts = watch.app, "1767622000.000400"
    globex = seed_account(app.services, "globex", "Globex")
    watch.interactive(shortcut(app, "We're switching to Initech. — Globex", ts))
    watch.interactive(submission(app, opened_view(app), globex, "competitor"))
    watch.settle()
    reached(spy, app, "message shortcut")
    assert spy.calls[0].dedupe == ("slack-message", f"C0SHARED:{ts}")


def test_watched_channel_prompt_reaches_signal_service(watch: Watching, spy: Spy) -> None:
    app, ts = watch.app, "1767621800.000300"
    acme = seed_account(app.services, "acme", "Acme Corp")
    watch.event(message("Acme Corp says they will terminate the contract", ts))
    watch.settle()
    assert spy.calls == []  # a prompt is not a case
    [prompt] = offers(app)
    press = app.slack.block_action(
        CaseAction.OPEN_FROM_MESSAGE.value,
        button_value(prompt),
        user_id="U0CSM",
        channel_id="C0SUPPORT",
        message_ts=prompt["ts"],
    )
    watch.interactive(press)
    watch.interactive(submission(app, opened_view(app), acme, "cancellation"))
    watch.settle()
    case = reached(spy, app, "watched channel")
    assert spy.calls[0].dedupe == ("slack-message", f"C0SUPPORT:{ts}")
    assert case.source_link and "C0SUPPORT" in case.source_link


def test_integration_bot_reaches_signal_service(watch: Watching, spy: Spy) -> None:
    app, ts = watch.app, "1767621700.000200"
    seed_account(app.services, "acme", "Acme Corp")
    watch.event(bot_message("Acme Corp requested to cancel their subscription", ts=ts))
    watch.settle()
    reached(spy, app, "integration bot")
    assert spy.calls[0].dedupe == ("slack-message", f"C0SUPPORT:{ts}")


def test_signals_webhook_reaches_signal_service(running_app: RunningApp, spy: Spy) -> None:
    seed_account(running_app.services, "acme", "Acme Corp")
    assert send(running_app, signal()).status == 201
    reached(spy, running_app, "crm")
    assert spy.calls[0].dedupe == ("signals:crm", "crm-1")
