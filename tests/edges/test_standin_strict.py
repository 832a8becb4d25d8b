"""The stand-in is strict like Slack where a client would notice: trigger ids expire and
are single-use, response_url replies land where Slack shows them (and stop after 5 uses),
ephemerals are seen by one person, modal stacks follow response_action, uploads are served."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from demo.standin import SlackStandin

MODAL = {
    "type": "modal",
    "callback_id": "x",
    "title": {"type": "plain_text", "text": "Title"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}],
}


class Ticker:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def standin(ticker: Ticker) -> Iterator[SlackStandin]:
    with SlackStandin(strict_triggers=True, monotonic=ticker) as running:
        yield running


@pytest.fixture
def client(standin: SlackStandin) -> WebClient:
    return WebClient(token="xoxb-test", base_url=standin.api_url, timeout=5)


def error_of(call, **kwargs) -> str:
    with pytest.raises(SlackApiError) as caught:
        call(**kwargs)
    return caught.value.response["error"]


def test_trigger_ids_expire_after_3_seconds_and_work_once(
    standin: SlackStandin, client: WebClient, ticker: Ticker
) -> None:
    fresh = standin.new_trigger_id("U0CSM")
    assert client.views_open(trigger_id=fresh, view=MODAL)["ok"]
    assert error_of(client.views_open, trigger_id=fresh, view=MODAL) == "exchanged_trigger_id"
    late = standin.new_trigger_id("U0CSM")
    ticker.now += 3.5
    assert error_of(client.views_open, trigger_id=late, view=MODAL) == "expired_trigger_id"
    assert error_of(client.views_open, trigger_id="1.2.made-up", view=MODAL) == (
        "invalid_trigger_id"
    )


def test_modal_stack_follows_push_and_response_actions(
    standin: SlackStandin, client: WebClient
) -> None:
    first = client.views_open(trigger_id=standin.new_trigger_id("U0CSM"), view=MODAL)["view"]
    second = client.views_push(trigger_id=standin.new_trigger_id("U0CSM"), view=MODAL)["view"]
    assert [v["id"] for v in standin.modal_stack("U0CSM")] == [first["id"], second["id"]]
    assert standin.modal_stack("U0MGR") == []

    standin.answer_submission(
        "U0CSM", second["id"], {"response_action": "errors", "errors": {"a": "Bad"}}
    )
    assert standin.modal_stack("U0CSM")[-1]["errors"] == {"a": "Bad"}
    standin.answer_submission("U0CSM", second["id"], None)  # closes the submitted view only
    assert [v["id"] for v in standin.modal_stack("U0CSM")] == [first["id"]]
    standin.answer_submission("U0CSM", first["id"], {"response_action": "clear"})
    assert standin.modal_stack("U0CSM") == []


def test_response_url_replies_land_where_slack_shows_them(
    standin: SlackStandin, client: WebClient, ticker: Ticker
) -> None:
    posted = client.chat_postMessage(channel="C1", text="Approve?")
    url = standin.new_response_url("U0CSM", "C1", posted["ts"])
    WebhookClient(url).send(text="Only you see this", response_type="ephemeral")
    (ephemeral,) = standin.ephemerals("U0CSM")
    assert (ephemeral["channel"], ephemeral["text"], ephemeral["via"]) == (
        "C1",
        "Only you see this",
        "response_url",
    )
    assert standin.ephemerals("U0MGR") == []
    WebhookClient(url).send(text="Approved", replace_original=True)
    assert [m["text"] for m in standin.messages("C1")] == ["Approved"]
    WebhookClient(url).send(text="For everyone", response_type="in_channel")
    assert [m["text"] for m in standin.messages("C1")] == ["Approved", "For everyone"]
    WebhookClient(url).send(text="x", delete_original=True)
    assert [m["text"] for m in standin.messages("C1")] == ["For everyone"]
    WebhookClient(url).send(text="fifth")
    assert WebhookClient(url).send(text="sixth").status_code == 404  # 5 uses, as Slack

    old = standin.new_response_url("U0CSM", "C1")
    ticker.now += 31 * 60
    assert WebhookClient(old).send(text="late").status_code == 404  # 30 minutes


def test_a_command_s_answer_replaces_its_acknowledgement_when_asked(
    standin: SlackStandin,
) -> None:
    url = standin.new_response_url("U0CSM", "C1")
    standin.add_ephemeral("U0CSM", "C1", {"text": "Working on it…"}, "command", url)
    WebhookClient(url).send(text="Done", response_type="ephemeral", replace_original=True)
    assert [e["text"] for e in standin.ephemerals("U0CSM")] == ["Done"]
    WebhookClient(url).send(text="Done, linked", replace_original=True)  # the last one shown
    WebhookClient(url).send(text="And more", replace_original=False)
    assert [e["text"] for e in standin.ephemerals("U0CSM")] == ["Done, linked", "And more"]
    WebhookClient(url).send(text="Last", replace_original=True)
    assert [e["text"] for e in standin.ephemerals("U0CSM")] == ["Done, linked", "Last"]


def test_post_ephemeral_is_kept_for_its_person(standin: SlackStandin, client: WebClient) -> None:
    client.chat_postEphemeral(channel="C1", user="U0CSM", text="psst")
    assert [e["text"] for e in standin.ephemerals("U0CSM")] == ["psst"]
    assert standin.messages("C1") == []


def test_people_post_and_uploads_are_served(standin: SlackStandin, client: WebClient) -> None:
    said = standin.post_as_user("U0CSM", "C1", "we may cancel &amp; leave")
    assert said["user"] == "U0CSM" and "bot_id" not in said
    done = client.files_upload_v2(content=b"\x89PNG chart", filename="chart.png", channel="C1")
    with urllib.request.urlopen(done["file"]["url_private"]) as reply:
        assert (reply.read(), reply.headers["Content-Type"]) == (b"\x89PNG chart", "image/png")
    assert [c.method for c in standin.calls() if c.method == "upload"] == ["upload"]
    version = standin.version
    client.chat_postMessage(channel="C1", text="more")
    assert standin.version > version
