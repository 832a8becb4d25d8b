"""Modals in the stand-in keep what the person entered as Slack does: across views.update
and ``response_action: update`` an input whose block_id, action_id and element type are
unchanged keeps its value; a renamed or removed input starts afresh. Errors after a
submission keep every answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from demo.standin import SlackStandin


def text_input(block_id: str, action_id: str = "text") -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": block_id.title()},
        "element": {"type": "plain_text_input", "action_id": action_id},
    }


def modal(*blocks: dict) -> dict:
    return {
        "type": "modal",
        "callback_id": "log_risk",
        "title": {"type": "plain_text", "text": "Log a churn risk"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": list(blocks),
    }


TYPED = {
    "reason": {"text": {"type": "plain_text_input", "value": "budget cut"}},
    "notes": {"text": {"type": "plain_text_input", "value": "call the CFO"}},
}


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin() as running:
        yield running


@pytest.fixture
def opened(standin: SlackStandin) -> dict:
    client = WebClient(token="xoxb-test", base_url=standin.api_url, timeout=5)
    trigger = standin.new_trigger_id("U0CSM")
    view = client.views_open(
        trigger_id=trigger, view=modal(text_input("reason"), text_input("notes"))
    )
    standin.set_view_state(view["view"]["id"], TYPED)
    return view["view"]


def shown(standin: SlackStandin) -> dict:
    return standin.modal_stack("U0CSM")[-1]


def test_views_update_keeps_inputs_whose_ids_are_unchanged(
    standin: SlackStandin, opened: dict
) -> None:
    client = WebClient(token="xoxb-test", base_url=standin.api_url, timeout=5)
    renamed = text_input("notes", action_id="note_text")  # same block, new action_id
    client.views_update(view_id=opened["id"], view=modal(text_input("reason"), renamed))
    assert shown(standin)["state"]["values"] == {"reason": TYPED["reason"]}


def test_response_action_update_keeps_inputs_and_clears_errors(
    standin: SlackStandin, opened: dict
) -> None:
    standin.answer_submission(
        "U0CSM", opened["id"], {"response_action": "errors", "errors": {"reason": "Say more."}}
    )
    assert shown(standin)["state"]["values"] == TYPED  # errors keep every answer
    assert shown(standin)["errors"] == {"reason": "Say more."}
    update = {"response_action": "update", "view": modal(text_input("notes"))}
    standin.answer_submission("U0CSM", opened["id"], update)
    assert shown(standin)["state"]["values"] == {"notes": TYPED["notes"]}
    assert shown(standin)["errors"] == {}


def test_an_input_whose_element_type_changed_starts_afresh(
    standin: SlackStandin, opened: dict
) -> None:
    client = WebClient(token="xoxb-test", base_url=standin.api_url, timeout=5)
    reason = text_input("reason") | {"element": {"type": "email_text_input", "action_id": "text"}}
    client.views_update(view_id=opened["id"], view=modal(reason))
    assert shown(standin)["state"]["values"] == {}


def test_a_new_modal_starts_empty(standin: SlackStandin, opened: dict) -> None:
    client = WebClient(token="xoxb-test", base_url=standin.api_url, timeout=5)
    pushed = client.views_push(
        trigger_id=standin.new_trigger_id("U0CSM"), view=modal(text_input("reason"))
    )
    assert pushed["view"]["state"] == {"values": {}}
