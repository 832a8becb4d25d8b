"""The stand-in keeps message metadata and reads messages back as Slack does: metadata
checked on chat.postMessage, shown by conversations.history and conversations.replies only
with include_all_metadata, within oldest/latest, a page at a time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from demo.standin import SlackStandin

TAG = {"event_type": "savedesk_outbox", "event_payload": {"row": 7}}


@pytest.fixture
def client(standin: SlackStandin) -> Iterator[WebClient]:
    yield WebClient(token="xoxb-test", base_url=standin.api_url, timeout=5)


def post(client: WebClient, text: str, **args: object) -> str:
    return str(client.chat_postMessage(channel="C1", text=text, **args)["ts"])


def test_metadata_is_checked_as_slack_checks_it(client: WebClient, standin: SlackStandin) -> None:
    for bad in ({"event_type": "x"}, {"event_type": "x", "event_payload": "no"}, "not json"):
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="C1", text="hi", metadata=bad)
        assert refused.value.response["error"] == "invalid_metadata_format"
    answer = client.chat_postMessage(
        channel="C1", text="hi", metadata={"event_type": "a.b", "event_payload": {}}
    )
    assert answer["warning"] == "invalid_metadata_schema"
    assert standin.messages("C1")[0]["metadata"] is None, "an invalid event_type is dropped"


def test_history_shows_metadata_only_when_asked(client: WebClient) -> None:
    post(client, "tagged", metadata=TAG)
    (plain,) = client.conversations_history(channel="C1")["messages"]
    assert "metadata" not in plain
    (full,) = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert full["metadata"] == TAG


def test_history_is_newest_first_within_bounds_without_replies(client: WebClient) -> None:
    first, second, third = (post(client, t) for t in ("one", "two", "three"))
    client.chat_postMessage(channel="C1", text="a reply", thread_ts=first)
    found = client.conversations_history(channel="C1", oldest=first)["messages"]
    assert [m["text"] for m in found] == ["three", "two"], "oldest is exclusive"
    found = client.conversations_history(channel="C1", oldest=first, inclusive=True)["messages"]
    assert [m["text"] for m in found] == ["three", "two", "one"]
    assert found[-1]["reply_count"] == 1
    found = client.conversations_history(channel="C1", latest=third, oldest=first)["messages"]
    assert [m["text"] for m in found] == ["two"]
    with pytest.raises(SlackApiError) as refused:
        client.conversations_history(channel="C1", oldest="yesterday")
    assert refused.value.response["error"] == "invalid_ts_oldest"
    assert second


def test_history_pages_with_a_cursor(client: WebClient) -> None:
    for n in range(5):
        post(client, f"m{n}")
    first = client.conversations_history(channel="C1", limit=2)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"] and first["has_more"]
    post(client, "newer")  # posted meanwhile: shifts no page
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel="C1", limit=2, cursor=cursor)
    assert [m["text"] for m in second["messages"]] == ["m2", "m1"]
    last = client.conversations_history(
        channel="C1", limit=2, cursor=second["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in last["messages"]] == ["m0"] and not last["has_more"]
    assert last["response_metadata"]["next_cursor"] == ""
    with pytest.raises(SlackApiError) as refused:
        client.conversations_history(channel="C1", cursor="bm90IGEgY3Vyc29y")
    assert refused.value.response["error"] == "invalid_cursor"


def test_replies_give_the_parent_then_the_thread_oldest_first(client: WebClient) -> None:
    root = post(client, "root")
    post(client, "elsewhere")
    for n in range(3):
        client.chat_postMessage(channel="C1", text=f"r{n}", thread_ts=root, metadata=TAG)
    thread = client.conversations_replies(channel="C1", ts=root, limit=2)
    assert [m["text"] for m in thread["messages"]] == ["root", "r0", "r1"]
    assert "metadata" not in thread["messages"][1]
    rest = client.conversations_replies(
        channel="C1",
        ts=root,
        include_all_metadata=True,
        cursor=thread["response_metadata"]["next_cursor"],
    )
    assert [m["text"] for m in rest["messages"]] == ["root", "r2"]
    assert rest["messages"][1]["metadata"] == TAG
    with pytest.raises(SlackApiError) as refused:
        client.conversations_replies(channel="C1", ts="1.000001")
    assert refused.value.response["error"] == "thread_not_found"


def test_reads_of_a_channel_the_app_cannot_see_are_refused(
    client: WebClient, standin: SlackStandin
) -> None:
    standin.remove_app("C2")
    standin.remove_channel("C3")
    for channel, error in (("C2", "not_in_channel"), ("C3", "channel_not_found")):
        with pytest.raises(SlackApiError) as refused:
            client.conversations_history(channel=channel)
        assert refused.value.response["error"] == error
