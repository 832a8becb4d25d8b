"""Cases from Slack messages, over HTTP: watched channels (offers and integration bots), the
"Open a case" button, and the "Open churn case" message shortcut."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from typing import Any

import pytest
from sqlalchemy import select

from bot.policy import Policy, parse_policy
from demo.standin.sender import Response
from slack_edge.case_messages import CaseAction
from storage.models import Case, InboundEvent
from tests.conftest import TEST_POLICY, RunningApp, seed_account
from tests.slack_events import delivered

SIGNALS_POLICY = (
    TEST_POLICY
    + """
[signals]
watch_channels = ["C0SUPPORT"]
phrases = ["cancel", "not renewing", "terminate", "switching to"]
bots = ["B0BILLING"]
"""
)
PERMALINK = "https://savedesk-test.slack.com/archives/{channel}/p{digits}"


class Listeners(Executor):
    """Bolt's listener executor, remembering what it ran: a test can wait until every
    listener has finished, so "nothing happened" is a finding rather than a race."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = self.inner.submit(fn, *args, **kwargs)
        self.futures.append(future)
        return future

    def settle(self) -> None:
        done, pending = wait(list(self.futures), timeout=30)
        assert not pending, "listeners still running"
        for future in done:
            future.result()


class Watching:
    """The running app plus a way to wait for its listeners."""

    def __init__(self, app: RunningApp, listeners: Listeners) -> None:
        self.app = app
        self.listeners = listeners

    def event(self, event: dict, **delivery: Any) -> Response:
        """Deliver `event` as Slack would (tests/slack_events.py); with `retry_num`, send only
        that one delivery: the retry itself is what is tested."""
        if "retry_num" in delivery:
            answer = self.app.slack.event(event, **delivery)
        else:
            answer = delivered(self.app.slack, event, **delivery)
        assert answer.status == 200
        return answer

    def interactive(self, payload: dict) -> Response:
        answer = self.app.slack.interactive(payload)
        assert answer.status == 200
        return answer

    def settle(self) -> None:
        """Every listener done and every queued message delivered."""
        self.listeners.settle()
        self.app.tick()


@pytest.fixture
def policy() -> Policy:
    return parse_policy(SIGNALS_POLICY, "test-policy.toml")


@pytest.fixture
def watch(running_app: RunningApp) -> Iterator[Watching]:
    seed_account(running_app.services, "acme", "Acme Corp")
    seed_account(running_app.services, "globex", "Globex")
    runner = running_app.web_bolt.listener_runner
    listeners = Listeners(runner.listener_executor)
    runner.listener_executor = listeners
    yield Watching(running_app, listeners)
    listeners.settle()


def message(text: str, ts: str = "1767621600.000100", **extra: Any) -> dict:
    event = {
        "type": "message",
        "channel": "C0SUPPORT",
        "channel_type": "channel",
        "user": "U0CUST",
        "text": text,
        "ts": ts,
        "event_ts": ts,
    }
    return {k: v for k, v in (event | extra).items() if v is not None}


def bot_message(text: str, bot_id: str = "B0BILLING", ts: str = "1767621700.000200") -> dict:
    return message(text, ts, subtype="bot_message", bot_id=bot_id, user=None, username="billing")


def permalink(channel: str, ts: str) -> str:
    return PERMALINK.format(channel=channel, digits=ts.replace(".", ""))


def cases(app: RunningApp) -> list[Case]:
    with app.services.db.session() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def offers(app: RunningApp, channel: str = "C0SUPPORT") -> list[dict]:
    return [
        m for m in app.standin.messages(channel) if any(b["type"] == "actions" for b in m["blocks"])
    ]


def replies(app: RunningApp, channel: str, thread: str) -> list[dict]:
    return [m for m in app.standin.messages(channel) if m.get("thread_ts") == thread]


def roots(app: RunningApp) -> list[dict]:
    return [m for m in app.standin.messages("C0CASES") if not m.get("thread_ts")]


def button_value(offer: dict) -> str:
    actions = next(b for b in offer["blocks"] if b["type"] == "actions")
    button = actions["elements"][0]
    assert button["action_id"] == CaseAction.OPEN_FROM_MESSAGE.value
    return str(button["value"])


def submission(
    app: RunningApp, view: dict, account_id: int, kind: str, view_id: str = "V1"
) -> dict:
    """The new-case modal submitted with an account and a kind."""
    values = {
        "account": {
            "account": {"type": "external_select", "selected_option": {"value": str(account_id)}}
        },
        "kind": {"kind": {"type": "static_select", "selected_option": {"value": kind}}},
        "reason": {"reason": "from the message"},
    }
    return app.slack.view_submission(
        view["callback_id"],
        values,
        user_id="U0CSM",
        private_metadata=view["private_metadata"],
        view_id=view_id,
    )


def opened_view(app: RunningApp, count: int = 1) -> dict:
    return app.standin.wait_for_calls("views.open", count)[-1].args["view"]


def initial_account(view: dict) -> str | None:
    block = next(b for b in view["blocks"] if b.get("block_id") == "account")
    option = block["element"].get("initial_option")
    return option["text"]["text"] if option else None


def initial_reason(view: dict) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == "reason")
    return str(block["element"].get("initial_value") or "")


def initial_kind(view: dict) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == "kind")
    return str(block["element"]["initial_option"]["value"])


# -- watched channels -------------------------------------------------------------------------


def test_a_matching_message_gets_one_threaded_offer(watch: Watching) -> None:
    ts = "1767621600.000100"
    watch.event(message("Acme Corp told me they want to CANCEL next month", ts))
    watch.settle()
    [offer] = offers(watch.app)
    assert offer["thread_ts"] == ts
    assert "Open a case" in json.dumps(offer["blocks"])
    value = json.loads(button_value(offer))
    assert (value["channel"], value["ts"]) == ("C0SUPPORT", ts)
    assert value["text"].startswith("Acme Corp told me")
    assert cases(watch.app) == []


def test_redeliveries_and_edits_never_offer_twice(watch: Watching) -> None:
    event = message("We are not renewing, sorry")
    first_two = ({"event_id": "Ev1"}, {"event_id": "Ev1", "retry_num": 1})
    with ThreadPoolExecutor(2) as pool:  # a retry racing the original delivery
        list(pool.map(lambda delivery: watch.event(event, **delivery), first_two))
    watch.event(event, event_id="Ev1", retry_num=2)
    edited = event | {"text": "We are not renewing, sorry!! cancel it", "edited": {"user": "U0"}}
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": "C0SUPPORT",
        "hidden": True,
        "ts": "1767621601.000000",
        "message": edited,
        "previous_message": event,
    }
    watch.event(edit)
    watch.settle()
    assert len(offers(watch.app)) == 1
    with watch.app.services.db.session() as session:
        assert len(list(session.scalars(select(InboundEvent)))) == 1


def test_threaded_replies_are_offered_in_their_thread(watch: Watching) -> None:
    watch.event(message("thinking of switching to Initech", "1767621900.000900", thread_ts="1.2"))
    watch.settle()
    [offer] = offers(watch.app)
    assert offer["thread_ts"] == "1.2"
    assert json.loads(button_value(offer))["thread_ts"] == "1.2"


def test_other_messages_and_channels_get_nothing(watch: Watching) -> None:
    watch.event(message("Thanks, the export works now"))
    watch.event(message("the cancellation policy?", channel="C0GENERAL"))
    watch.event(message("uncancelled", subtype="message_deleted", ts="1767621602.000000"))
    own = "This sounds like churn (“cancel”). Open a case so it has an owner?"
    watch.event(message(own, bot_id="B0BOT", app_id="A0SAVEDESK", user="U0BOT"))
    watch.event(bot_message("Acme Corp: invoice sent"))
    watch.settle()
    assert watch.app.standin.calls("chat.postMessage") == []
    assert cases(watch.app) == []


def test_integration_bot_naming_one_account_opens_a_case(watch: Watching) -> None:
    ts = "1767621700.000200"
    post = bot_message("Acme Corp requested to cancel their subscription", ts=ts)
    watch.event(post, event_id="Ev9")
    watch.event(post, event_id="Ev9", retry_num=1)
    watch.settle()
    [case] = cases(watch.app)
    assert (case.source, case.kind, case.source_link) == (
        "integration bot",
        "cancellation",
        permalink("C0SUPPORT", ts),
    )
    assert case.created_by is None
    assert len(roots(watch.app)) == 1
    assert offers(watch.app) == []
    [reply] = replies(watch.app, "C0SUPPORT", ts)
    assert f"Opened case #{case.id}" in reply["text"]
    assert "https://savedesk-test.slack.com/archives/C0CASES/" in reply["text"]


@pytest.mark.parametrize(
    "post",
    [
        bot_message("A customer wants to cancel; see ticket 123"),
        bot_message("Acme Corp and Globex want to cancel"),
        bot_message("Acme Corp wants to cancel", bot_id="B0UNLISTED"),
    ],
    ids=["no account", "two accounts", "unlisted bot"],
)
def test_integration_bot_without_exactly_one_account_gets_an_offer(
    watch: Watching, post: dict
) -> None:
    watch.event(post)
    watch.settle()
    assert len(offers(watch.app)) == 1
    assert cases(watch.app) == []


def test_offer_button_opens_the_modal_and_pressing_twice_makes_one_case(watch: Watching) -> None:
    app, ts = watch.app, "1767621800.000300"
    acme = seed_account(app.services, "acme", "Acme Corp")
    watch.event(message("Acme Corp says they will terminate the contract", ts))
    watch.settle()
    [offer] = offers(app)
    press = app.slack.block_action(
        CaseAction.OPEN_FROM_MESSAGE.value,
        button_value(offer),
        user_id="U0CSM",
        channel_id="C0SUPPORT",
        message_ts=offer["ts"],
    )
    watch.interactive(press)
    watch.interactive(press)
    first = opened_view(app, 2)
    assert first["callback_id"] == "new_case_from_message"
    assert initial_account(first) == "Acme Corp (acme)"
    assert initial_kind(first) == "cancellation"
    assert initial_reason(first) == "Acme Corp says they will terminate the contract"

    assert watch.interactive(submission(app, first, acme, "cancellation")).text == ""
    watch.settle()
    late = watch.interactive(submission(app, first, acme, "cancellation", "V2"))
    assert "already opened" in late.json()["errors"]["account"]
    watch.interactive(press)
    watch.settle()
    assert "already opened" in app.standin.responses()[-1]["text"]
    assert len(app.standin.calls("views.open")) == 2

    [case] = cases(app)
    assert (case.source, case.created_by, case.source_link) == (
        "watched channel",
        "U0CSM",
        permalink("C0SUPPORT", ts),
    )
    assert len(roots(app)) == 1
    [reply] = [m for m in replies(app, "C0SUPPORT", ts) if m["ts"] != offer["ts"]]
    assert f"Opened case #{case.id}" in reply["text"] and "/archives/C0CASES/" in reply["text"]


def test_two_submissions_at_once_still_make_one_case(watch: Watching) -> None:
    app = watch.app
    acme = seed_account(app.services, "acme", "Acme Corp")
    watch.event(message("Acme Corp wants to cancel", "1767621810.000300"))
    watch.settle()
    press = app.slack.block_action(
        CaseAction.OPEN_FROM_MESSAGE.value,
        button_value(offers(app)[0]),
        user_id="U0CSM",
        channel_id="C0SUPPORT",
    )
    watch.interactive(press)
    view = opened_view(app)
    for view_id in ("V1", "V2", "V3"):
        watch.interactive(submission(app, view, acme, "cancellation", view_id))
    watch.settle()
    assert len(cases(app)) == 1
    assert len(roots(app)) == 1
    assert len(replies(app, "C0SUPPORT", "1767621810.000300")) == 2  # the offer, one link


# -- the message shortcut ---------------------------------------------------------------------


def shortcut(app: RunningApp, text: str, ts: str, **message_fields: Any) -> dict:
    fields = {"text": text, "ts": ts, "user": "U0CUST"} | message_fields
    return app.slack.message_shortcut(
        "open_churn_case", fields, user_id="U0CSM", channel_id="C0SHARED"
    )


def test_shortcut_opens_a_prefilled_modal_and_links_case_and_message(watch: Watching) -> None:
    app, ts = watch.app, "1767622000.000400"
    globex = seed_account(app.services, "globex", "Globex")
    text = "Honestly we're switching to Initech next quarter. — Globex"
    watch.interactive(shortcut(app, text, ts))
    view = opened_view(app)
    assert view["callback_id"] == "new_case_from_message"
    assert initial_account(view) == "Globex (globex)"
    assert initial_kind(view) == "competitor"
    assert initial_reason(view) == text
    meta = json.loads(view["private_metadata"])
    assert (meta["channel"], meta["ts"]) == ("C0SHARED", ts)

    watch.interactive(submission(app, view, globex, "competitor"))
    watch.settle()
    [case] = cases(app)
    assert (case.source, case.source_link) == ("message shortcut", permalink("C0SHARED", ts))
    assert case.stated_reason == "from the message"
    assert len(roots(app)) == 1
    [reply] = replies(app, "C0SHARED", ts)
    assert f"Opened case #{case.id}" in reply["text"] and "/archives/C0CASES/" in reply["text"]
    root = roots(app)[0]
    assert permalink("C0SHARED", ts) in json.dumps(root["blocks"])


def test_shortcut_on_a_reply_without_an_account_leaves_the_picker_empty(watch: Watching) -> None:
    app = watch.app
    watch.interactive(shortcut(app, "we may cancel", "1767622100.000500", thread_ts="9.9"))
    view = opened_view(app)
    assert initial_account(view) is None
    assert json.loads(view["private_metadata"])["thread_ts"] == "9.9"
    acme = seed_account(app.services, "acme", "Acme Corp")
    watch.interactive(submission(app, view, acme, "cancellation"))
    watch.settle()
    [reply] = replies(app, "C0SHARED", "9.9")
    assert "Opened case #1" in reply["text"]


def test_shortcut_for_an_account_with_an_open_case_adds_to_it(watch: Watching) -> None:
    app = watch.app
    acme = seed_account(app.services, "acme", "Acme Corp")
    for n, ts in enumerate(("1767622200.000600", "1767622300.000700"), start=1):
        watch.interactive(shortcut(app, "Acme Corp wants to cancel", ts))
        view = opened_view(app, n)
        watch.interactive(submission(app, view, acme, "cancellation", f"V{n}"))
        watch.settle()
    assert len(cases(app)) == 1
    [reply] = replies(app, "C0SHARED", "1767622300.000700")
    assert "already has open case #1; added to it" in reply["text"]


def test_integration_bot_words_in_attachments_count(watch: Watching) -> None:
    post = bot_message("") | {"attachments": [{"title": "Cancel requested", "text": "Globex"}]}
    watch.event(post)
    watch.settle()
    [case] = cases(watch.app)
    assert case.stated_reason == "Cancel requested\nGlobex"


def test_a_long_message_still_fits_the_offer_button(watch: Watching) -> None:
    app = watch.app
    text = "Acme Corp wants to cancel. " + 'Trop cher, «vraiment» "cher" — ' * 200
    watch.event(message(text))
    watch.settle()
    [offer] = offers(app)
    value = button_value(offer)
    assert len(value) <= 2000
    press = app.slack.block_action(
        CaseAction.OPEN_FROM_MESSAGE.value, value, user_id="U0CSM", channel_id="C0SUPPORT"
    )
    watch.interactive(press)
    view = opened_view(app)
    assert initial_account(view) == "Acme Corp (acme)"
    assert initial_reason(view).startswith("Acme Corp wants to cancel. Trop cher")
    assert initial_reason(view).endswith("…")
