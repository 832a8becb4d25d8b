"""What the stand-in started alone does beyond the one the tests use: it knows its
workspace's channels (`strict_channels`), and serves a rehearsal's `/standin/` endpoints
(a command's response_url and trigger_id, what apps did) to `python -m demo.standin.say`."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from demo.standin import SlackStandin
from demo.standin.__main__ import channel_arg


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin() as running:
        running.add_channel("C0CASES", "cases")
        running.strict_channels = True
        yield running


def error(call: object) -> str:
    with pytest.raises(SlackApiError) as refused:
        call()  # type: ignore[operator]
    return str(refused.value.response["error"])


def test_strict_channels_know_only_the_workspaces(standin: SlackStandin) -> None:
    client = WebClient(token="xoxb-any", base_url=standin.api_url)
    assert error(lambda: client.conversations_info(channel="C0999XYZ")) == "channel_not_found"
    assert error(lambda: client.chat_postMessage(channel="C0999XYZ", text="hi")) == (
        "channel_not_found"
    )
    assert error(lambda: client.conversations_join(channel="G0NOPE")) == "channel_not_found"
    assert client.conversations_info(channel="C0CASES")["channel"]["name"] == "cases"
    assert client.chat_postMessage(channel="C0CASES", text="a case")["ok"]
    assert client.chat_postMessage(channel="U0CSM", text="a DM")["channel"] == "D0CSM"
    group = client.conversations_open(users=["U0CSM", "U0AE"])["channel"]["id"]
    assert client.chat_postMessage(channel=group, text="a group DM")["ok"]


def test_the_tests_standin_takes_any_channel() -> None:
    with SlackStandin() as permissive:
        client = WebClient(token="xoxb-any", base_url=permissive.api_url)
        assert client.chat_postMessage(channel="C0999XYZ", text="hi")["ok"]


def ask(standin: SlackStandin, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(f"{standin.base_url}/standin/{path}", data, timeout=5) as got:
        return json.loads(got.read())


def test_a_rehearsed_command_gets_a_live_response_url_and_sees_what_the_app_did(
    standin: SlackStandin,
) -> None:
    standin.add_user("U0CSM", "casey@example.com", "Casey Kim")
    assert ask(standin, "command", {"user": "U0CSM", "channel": "C0NOPE"}) == {
        "ok": False,
        "error": "channel_not_found",
        "channels": ["C0CASES=#cases"],
    }
    issued = ask(standin, "command", {"user": "U0CSM", "channel": "C0CASES"})
    assert issued["ok"] and issued["response_url"].startswith(f"{standin.base_url}/response/")
    assert WebhookClient(issued["response_url"]).send(text="Opened case #1").status_code == 200
    WebClient(token="xoxb-any", base_url=standin.api_url).chat_postMessage(
        channel="C0CASES", text="Cancellation: Acme Corp"
    )
    seen = ask(standin, "activity")
    assert seen["responses"] == [
        {"url": issued["response_url"], "body": {"text": "Opened case #1"}}
    ]
    assert [(m["channel"], m["text"]) for m in seen["messages"]] == [
        ("C0CASES", "Cancellation: Acme Corp")
    ]
    assert seen["channels"] == {"C0CASES": "cases"}
    assert seen["users"] == {"U0CSM": "Casey Kim"}


def test_a_channel_option_is_an_id_and_a_name() -> None:
    assert channel_arg("C0ESC=#escalations") == ("C0ESC", "escalations")
    with pytest.raises(Exception, match="expected a channel ID and a name"):
        channel_arg("escalations")
