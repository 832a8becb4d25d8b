"""Field failures through HTTP and the strict stand-in: calendar dates (5) and what the
timeline says (9). Shared fixtures for the other kinds' tests too."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, wait
from typing import Any

import pytest
from sqlalchemy import select

from bot.policy import Policy, parse_policy
from demo.standin.sender import slack_escaped, slack_message
from demo.standin.validation import block_problems
from storage.models import Account, Case
from tests.conftest import TEST_POLICY, RunningApp, seed_account
from tests.slack_events import delivered

POLICY = TEST_POLICY + (
    '\n[signals]\nwatch_channels = ["C0SUPPORT"]\n'
    'phrases = ["cancel", "not renewing", "terminate", "switching to"]\nbots = ["B0BILLING"]\n'
)


@pytest.fixture
def policy() -> Policy:
    return parse_policy(POLICY, "test-policy.toml")


class Settled:
    """The running app, able to wait until every listener ran and every message went out."""

    def __init__(self, app: RunningApp) -> None:
        self.app = app
        self.futures: list[Future[Any]] = []
        runner = app.web_bolt.listener_runner
        inner = runner.listener_executor
        outer = self

        class Recording:
            def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
                future = inner.submit(fn, *args, **kwargs)
                outer.futures.append(future)
                return future

        runner.listener_executor = Recording()  # type: ignore[assignment]

    def settle(self) -> None:
        done, pending = wait(list(self.futures), timeout=30)
        assert not pending
        for future in done:
            future.result()
        self.app.tick()


@pytest.fixture
def field(running_app: RunningApp) -> Iterator[Settled]:
    seed_account(running_app.services, "bk-001", "Baker & Sons")
    seed_account(running_app.services, "acme", "Acme Corp")
    settled = Settled(running_app)
    yield settled
    settled.settle()


def bot_post(text: str, ts: str = "1767621700.000200") -> dict:
    """An integration bot's post as Slack delivers it: `text` escaped (slack_message)."""
    return slack_message(
        {
            "type": "message",
            "subtype": "bot_message",
            "channel": "C0SUPPORT",
            "channel_type": "channel",
            "bot_id": "B0BILLING",
            "username": "billing",
            "text": text,
            "ts": ts,
            "event_ts": ts,
        }
    )


def cases(app: RunningApp) -> list[tuple[Case, str]]:
    with app.services.db.read() as session:
        rows = session.execute(
            select(Case, Account.external_id).join(Account).order_by(Case.id)
        ).all()
        return [(case, external_id) for case, external_id in rows]


def roots(app: RunningApp) -> list[dict]:
    return [m for m in app.standin.messages("C0CASES") if not m.get("thread_ts")]


def thread(app: RunningApp) -> list[str]:
    return [m["text"] for m in app.standin.messages("C0CASES") if m.get("thread_ts")]


def all_text(message: dict) -> str:
    """Every string Slack would render from a message: text and block text objects."""
    found = [message.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(found)


def prompts(app: RunningApp) -> list[dict]:
    return [
        m
        for m in app.standin.messages("C0SUPPORT")
        if any(b["type"] == "actions" for b in m.get("blocks") or [])
    ]


# -- kind 5: a calendar date is not a moment ---------------------------------------------


def open_by_command(field: Settled, text: str, user: str = "U0CSM") -> Case:
    app = field.app
    assert app.slack.slash_command(slack_escaped(text), user_id=user).status == 200
    field.settle()
    return cases(app)[-1][0]


def test_renewal_date_is_the_same_date_for_every_reader(field: Settled) -> None:
    from datetime import date

    seed_account(field.app.services, "cust-4411", "Ärztehaus Nord", renewal_date=date(2027, 3, 15))
    case = open_by_command(field, "cancel cust-4411 budget cut")
    assert str(case.renewal_date) == "2027-03-15"
    root = all_text(roots(field.app)[0])
    assert "15 March 2027" in root
    assert "<!date^1805112000" not in root
    assert "<!date^" in root, "the moment the case opened is still shown in each reader's zone"
    dm = all_text(field.app.standin.messages("D0AE")[0])
    assert "15 March 2027" in dm and "<!date^1805112000" not in dm


# -- kind 9: saying what was done ---------------------------------------------------------


def click(field: Settled, action: str, value: str, user: str) -> None:
    payload = field.app.slack.block_action(
        action, value, user_id=user, channel_id="C0CASES", message_ts="1.0"
    )
    assert field.app.slack.interactive(payload).status == 200
    field.settle()


def test_marking_saved_says_the_arr_saved_and_the_offer_cost(field: Settled) -> None:
    import json

    app = field.app
    seed_account(app.services, "acme", "Acme Corp", arr=40000)
    case = open_by_command(field, "cancel acme budget cut")
    values = {
        "type": {"type": {"type": "static_select", "selected_option": {"value": "discount"}}},
        "value": {"value": {"type": "number_input", "value": "2000"}},
        "discount_pct": {"discount_pct": {"type": "number_input", "value": "5"}},
        "duration": {"duration": "3 months"},
        "justification": {"justification": "budget freeze"},
        "tried": {"tried": ""},
    }
    meta = json.dumps({"case_id": case.id})
    payload = app.slack.view_submission(
        "case_offer_view", values, user_id="U0AE", private_metadata=meta
    )
    assert app.slack.interactive(payload).status == 200
    field.settle()
    click(field, "offer_accepted", "1", "U0AE")
    click(field, "case_saved", str(case.id), "U0AE")
    root = all_text(roots(app)[0])  # the root shows the change: no reply (README)
    assert "<@U0AE> marked the case saved — saved $40,000 ARR (offer cost $2,000)." in root
    assert not any("marked saved the case" in line for line in [*thread(app), root])
    assert "Saved $40,000 ARR (offer cost $2,000)" in root


def test_marking_churned_says_the_arr_lost(field: Settled) -> None:
    app = field.app
    seed_account(app.services, "acme", "Acme Corp", arr=40000)
    case = open_by_command(field, "cancel acme budget cut")
    click(field, "case_churned", str(case.id), "U0AE")
    assert "<@U0AE> marked the case churned — $40,000 ARR lost." in all_text(roots(app)[0])


# -- kind 1: Slack escapes &, <, >; unescape once in, escape once out ---------------------


def test_integration_bot_naming_an_account_with_an_ampersand(field: Settled) -> None:
    app = field.app
    assert (
        delivered(app.slack, bot_post("Baker & Sons requested to cancel their subscription")).status
        == 200
    )
    field.settle()
    sent = [c for c in app.standin.calls() if c.method == "chat.postMessage"]
    assert sent, "the case was announced"
    [(case, external_id)] = cases(app)
    assert (external_id, case.source) == ("bk-001", "integration bot")
    assert case.stated_reason == "Baker & Sons requested to cancel their subscription"
    assert prompts(app) == []
    root = all_text(roots(app)[0])
    assert "Baker &amp; Sons" in root and "&amp;amp;" not in root


def test_shortcut_prefill_and_typed_note_are_escaped_exactly_once(field: Settled) -> None:
    app = field.app
    payload = app.slack.message_shortcut(
        "open_churn_case",
        slack_message(
            {"text": "We <3 you, but Baker & Sons will cancel (R&D <budget>)", "user": "U0CUST"}
        ),
        user_id="U0CSM",
        channel_id="C0SUPPORT",
    )
    assert "&amp;" in payload["message"]["text"], "the stand-in sends what Slack sends"
    assert app.slack.interactive(payload).status == 200
    field.settle()
    view = app.standin.calls("views.open")[-1].args["view"]
    inputs = [
        b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input" and b["element"].get("initial_value")
    ]
    assert inputs == ["We <3 you, but Baker & Sons will cancel (R&D <budget>)"]
    options = [b["element"].get("initial_option") for b in view["blocks"] if b["type"] == "input"]
    assert any(o and o["text"]["text"] == "Baker & Sons (bk-001)" for o in options)


# -- kind 2: Block Kit limits apply after escaping ---------------------------------------


def test_long_bot_post_with_broadcasts_still_opens_one_case(field: Settled) -> None:
    app = field.app
    text = ("Acme Corp requested to cancel. " + "<!here> " * 28 + "x" * 3000)[:2900]
    assert delivered(app.slack, bot_post(text)).status == 200
    field.settle()
    [(_, external_id)] = cases(app)
    assert external_id == "acme"
    [root] = roots(app)
    assert block_problems(root["blocks"], 50) == []
    assert "<!here>" not in all_text(root), "a copy never pings the channel again"
    reason = next(b for b in root["blocks"] if "Stated reason" in str(b))["text"]["text"]
    assert "@here @here" in reason and len(reason) <= 3000


def test_reason_full_of_ampersands_fits_after_escaping(field: Settled) -> None:
    app = field.app
    text = "Acme Corp requested to cancel. " + "R&D <lab> " * 280
    assert delivered(app.slack, bot_post(text)).status == 200
    field.settle()
    [(case, _)] = cases(app)
    assert (case.stated_reason or "").strip() == text.strip()
    [root] = roots(app)
    assert block_problems(root["blocks"], 50) == []
    reason = next(b for b in root["blocks"] if "Stated reason" in str(b))["text"]["text"]
    assert len(reason) <= 3000 and reason.endswith("…") and "&amp;amp;" not in reason


def test_a_root_that_cannot_render_never_loses_the_signal(
    field: Settled, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slack_edge import case_messages

    def broken(*_: object) -> tuple[str, list[dict]]:
        raise ValueError("text attribute cannot exceed 3000 characters")

    monkeypatch.setattr(case_messages, "_case_root", broken)
    app = field.app
    assert (
        delivered(app.slack, bot_post("Acme Corp requested to cancel their subscription")).status
        == 200
    )
    field.settle()
    [(case, external_id)] = cases(app)
    assert external_id == "acme" and case.stated_reason
    [root] = roots(app)
    assert block_problems(root["blocks"], 50) == []
    assert "Acme Corp" in root["text"]


def test_move_on_request_says_the_arr_and_the_reason_escaped_once(field: Settled) -> None:
    from slack_edge.modals import CaseMeta, encode

    app = field.app
    case = open_by_command(field, "cancel acme budget cut")
    values = {
        "reason": {"reason": {"type": "radio_buttons", "selected_option": {"value": "wrong_fit"}}},
        "detail": {"detail": {"type": "plain_text_input", "value": "R&D <only>"}},
    }
    payload = app.slack.view_submission(
        "case_move_on_view", values, user_id="U0AE", private_metadata=encode(CaseMeta(case.id))
    )
    assert app.slack.interactive(payload).status == 200
    field.settle()
    assert (  # on the root; the request in the thread (with its buttons) says it too
        "<@U0AE> asked to move on from the case ($60,000 ARR at risk): Wrong product fit."
        " R&amp;D &lt;only&gt;; a manager must confirm." in all_text(roots(app)[0])
    )
    assert any("(Wrong product fit. R&amp;D &lt;only&gt;)" in line for line in thread(app))


def test_usage_quotes_what_was_typed_escaped_once(field: Settled) -> None:
    answer = field.app.slack.slash_command(slack_escaped("frobnicate <b> & co"), user_id="U0CSM")
    body = answer.json()
    text = all_text(body)
    assert "`frobnicate` is not a /churn command" in text
    assert "&lt;account&gt;" in text and "<account>" not in text
    assert block_problems(body["blocks"], 50) == []


def test_churn_cancel_by_a_name_with_an_ampersand(field: Settled) -> None:
    case = open_by_command(field, 'cancel "Baker & Sons" moving to R&D <tools>')
    assert case.stated_reason == "moving to R&D <tools>"
    assert cases(field.app)[-1][1] == "bk-001"


def test_a_mistyped_subcommand_gets_a_did_you_mean(field: Settled) -> None:
    text = all_text(field.app.slack.slash_command("cancle acme", user_id="U0CSM").json())
    assert "`cancle` is not a /churn command; did you mean `cancel`?" in text
    text = all_text(field.app.slack.slash_command("zzz", user_id="U0CSM").json())
    assert "`zzz` is not a /churn command" in text and "did you mean" not in text
