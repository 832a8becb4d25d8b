"""Modals on the demo page keep what the person typed, as Slack does, when Savedesk
updates the view they are typing in (views.update with unchanged block and action ids):
typing that never reached Savedesk stays on screen. Headless Chromium, as in
tests/e2e/test_demo_browser.py (skipped, saying why, without it)."""

from __future__ import annotations

from slack_sdk import WebClient

from demo.runtime import Demo
from tests.browser_page import (
    error_under,
    fill,
    modal,
    submit_modal,
    until,
    value_of,
    wait_for_text,
)
from tests.e2e.test_demo_browser import browser, demo  # noqa: F401  (fixtures)

CSM = "U0CSM"


def text_input(block_id: str, label: str) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": {"type": "plain_text_input", "action_id": block_id},
    }


def view(title: str, *blocks: dict) -> dict:
    return {
        "type": "modal",
        "callback_id": "keep_test",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": list(blocks),
    }


def test_typing_survives_views_update_with_the_same_ids(demo: Demo, browser) -> None:  # noqa: F811
    browser.get(f"{demo.page_url}/?user={CSM}&channel=C0CASES")
    wait_for_text(browser, "#story", "Guided story")
    slack = WebClient(token="xoxb-demo", base_url=demo.standin.api_url, timeout=5)
    reason, notes = text_input("reason", "Reason"), text_input("notes", "Notes")
    opened = slack.views_open(
        trigger_id=demo.standin.new_trigger_id(CSM), view=view("First", reason, notes)
    )["view"]
    modal(browser, "First")
    fill(browser, "reason", "budget cut")
    fill(browser, "notes", "call the CFO")
    renamed = notes | {"element": {"type": "plain_text_input", "action_id": "notes_v2"}}
    slack.views_update(view_id=opened["id"], view=view("Second", reason, renamed))
    modal(browser, "Second")
    until(browser, lambda d: value_of(d, "reason") == "budget cut", "the typed reason kept")
    assert value_of(browser, "notes") == ""  # a new action_id starts afresh, as in Slack


def test_an_empty_required_field_is_refused_by_the_page_as_slack_does(
    demo: Demo,  # noqa: F811
    browser,  # noqa: F811
) -> None:
    """Slack never sends a submission with a required input empty: it says so under the
    field. The optional field may stay empty."""
    browser.get(f"{demo.page_url}/?user={CSM}&channel=C0CASES")
    wait_for_text(browser, "#story", "Guided story")
    slack = WebClient(token="xoxb-demo", base_url=demo.standin.api_url, timeout=5)
    notes = text_input("notes", "Notes") | {"optional": True}
    slack.views_open(
        trigger_id=demo.standin.new_trigger_id(CSM),
        view=view("Required", text_input("reason", "Reason"), notes),
    )
    modal(browser, "Required")
    submit_modal(browser)
    assert error_under(browser, "reason") == "Please complete this required field."
    assert not [n for n in demo.client.inbound() if n.get("kind") == "submission"]
    fill(browser, "reason", "budget cut")
    submit_modal(browser)
    until(
        browser,
        lambda _: [n for n in demo.client.inbound() if n.get("kind") == "submission"],
        "the submission reached Savedesk",
    )


def test_a_number_field_takes_only_a_number_as_slack_does(demo: Demo, browser) -> None:  # noqa: F811
    """Slack's number_input refuses "20%" or "16,800" itself; nothing is sent."""
    browser.get(f"{demo.page_url}/?user={CSM}&channel=C0CASES")
    wait_for_text(browser, "#story", "Guided story")
    slack = WebClient(token="xoxb-demo", base_url=demo.standin.api_url, timeout=5)
    element = {"type": "number_input", "action_id": "pct", "is_decimal_allowed": True}
    pct = text_input("pct", "Discount %") | {"element": element | {"max_value": "100"}}
    slack.views_open(trigger_id=demo.standin.new_trigger_id(CSM), view=view("Numbers", pct))
    modal(browser, "Numbers")
    for typed, problem in (("20%", "Enter a number."), ("150", "Enter 100 or less.")):
        fill(browser, "pct", typed)
        submit_modal(browser)
        until(browser, lambda d, p=problem: error_under(d, "pct") == p, problem)
    assert not [n for n in demo.client.inbound() if n.get("kind") == "submission"]
    fill(browser, "pct", "12.5")
    submit_modal(browser)
    until(
        browser,
        lambda _: [n for n in demo.client.inbound() if n.get("kind") == "submission"],
        "the submission reached Savedesk",
    )
