"""The Slack stand-in and request sender behave like Slack, seen through real slack_sdk clients."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.webhook import WebhookClient

from demo.standin import SlackStandin
from demo.standin.sender import SlackSender

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Acme* may churn"}}
MODAL = {
    "type": "modal",
    "callback_id": "log_risk",
    "title": {"type": "plain_text", "text": "Log a churn risk"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "reason",
            "label": {"type": "plain_text", "text": "Reason"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin() as running:
        yield running


@pytest.fixture
def client(standin: SlackStandin) -> WebClient:
    return WebClient(token="xoxb-test", base_url=standin.api_url, timeout=5)


def api_error(call, *args, **kwargs) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call(*args, **kwargs)
    return caught.value


# ----------------------------------------------------------------------------- messages


def test_post_update_and_permalink(standin: SlackStandin, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="hello", blocks=[SECTION])
    second = client.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])
    assert first["channel"] == "C1"
    assert first["ts"] == "1700000000.000100"
    assert second["ts"] == "1700000000.000200"

    client.chat_update(channel="C1", ts=first["ts"], text="handled")
    link = client.chat_getPermalink(channel="C1", message_ts=first["ts"])["permalink"]

    assert link == f"https://savedesk-test.slack.com/archives/C1/p{first['ts'].replace('.', '')}"
    messages = standin.messages("C1")
    assert [m["text"] for m in messages] == ["handled", "reply"]
    assert messages[0]["blocks"] == [SECTION]
    assert messages[1]["thread_ts"] == first["ts"]
    assert standin.last_call("chat.update").args["ts"] == first["ts"]
    assert standin.last_call("chat.update").token == "xoxb-test"


def test_update_of_unknown_message_is_refused(client: WebClient) -> None:
    error = api_error(client.chat_update, channel="C1", ts="1.000000", text="x")
    assert error.response["error"] == "message_not_found"


def test_posting_to_a_user_lands_in_their_dm(standin: SlackStandin, client: WebClient) -> None:
    opened = client.conversations_open(users="U0CSM")["channel"]["id"]
    posted = client.chat_postMessage(channel="U0CSM", text="you own Acme")
    assert posted["channel"] == opened == "D0CSM"
    assert standin.messages("D0CSM")[0]["text"] == "you own Acme"


def test_missing_required_arguments(standin: SlackStandin, client: WebClient) -> None:
    error = api_error(client.api_call, "chat.postEphemeral", json={"text": "hi"})
    assert error.response.data == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {
            "messages": [
                "[ERROR] missing required field: channel",
                "[ERROR] missing required field: user",
            ]
        },
    }
    no_text = api_error(client.api_call, "chat.postMessage", json={"channel": "C1"})
    assert no_text.response["error"] == "no_text"
    assert len(standin.calls()) == 2


def test_form_encoded_blocks_are_decoded(standin: SlackStandin, client: WebClient) -> None:
    client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "x", "blocks": json.dumps([SECTION])}
    )
    assert standin.last_call("chat.postMessage").args["blocks"] == [SECTION]


@pytest.mark.parametrize(
    "blocks",
    [
        [{"type": "section"}],
        [{"type": "no_such_block"}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [SECTION | {"block_id": "same"}, SECTION | {"block_id": "same"}],
        [SECTION] * 51,
        "not blocks",
    ],
    ids=["no-text", "unknown-type", "text-too-long", "duplicate-block-id", "51-blocks", "str"],
)
def test_invalid_blocks_are_refused(client: WebClient, blocks: object) -> None:
    error = api_error(client.chat_postMessage, channel="C1", text="x", blocks=blocks)
    assert error.response["error"] == "invalid_blocks"


def test_fifty_blocks_are_fine(client: WebClient) -> None:
    assert client.chat_postMessage(channel="C1", text="x", blocks=[SECTION] * 50)["ok"]


# -------------------------------------------------------------------------------- faults


def test_rate_limit_shows_retry_after(standin: SlackStandin, client: WebClient) -> None:
    standin.fail_next("chat.postMessage", status=429, retry_after=7)
    error = api_error(client.chat_postMessage, channel="C1", text="x")
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert standin.last_call("chat.postMessage").fault == "http 429"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]  # fault consumed
    assert standin.last_call("chat.postMessage").fault is None
    assert len(standin.messages()) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors(standin: SlackStandin, client: WebClient, status: int) -> None:
    standin.fail_next("chat.update", status=status)
    error = api_error(client.chat_update, channel="C1", ts="1.0", text="x")
    assert error.response.status_code == status


def test_error_codes_are_queued_per_method(standin: SlackStandin, client: WebClient) -> None:
    standin.fail_next("chat.postMessage", error="channel_not_found", times=2)
    for _ in range(2):
        error = api_error(client.chat_postMessage, channel="C9", text="x")
        assert (error.response.status_code, error.response["error"]) == (200, "channel_not_found")
    assert client.auth_test()["ok"]  # other methods unaffected
    assert client.chat_postMessage(channel="C9", text="x")["ok"]
    faults = [c.fault for c in standin.calls("chat.postMessage")]
    assert faults == ["channel_not_found", "channel_not_found", None]


def test_fail_next_needs_a_failure() -> None:
    with pytest.raises(ValueError):
        SlackStandin().fail_next("chat.postMessage")


def test_down_answers_503_until_back(standin: SlackStandin, client: WebClient) -> None:
    standin.set_down(True)
    assert api_error(client.auth_test).response.status_code == 503
    standin.set_down(False)
    assert client.auth_test()["user_id"] == "U0BOT"
    assert [c.fault for c in standin.calls("auth.test")] == ["down", None]


def test_auth_and_unknown_methods(standin: SlackStandin) -> None:
    no_token = WebClient(base_url=standin.api_url)
    user_token = WebClient(token="xoxp-user", base_url=standin.api_url)
    assert api_error(no_token.auth_test).response["error"] == "not_authed"
    assert api_error(user_token.auth_test).response["error"] == "invalid_auth"
    bot = WebClient(token="xoxb-test", base_url=standin.api_url)
    assert api_error(bot.api_call, "reactions.add").response["error"] == "unknown_method"
    auth = bot.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0TEST", "U0BOT", "B0BOT")
    assert [c.method for c in standin.calls()] == [
        "auth.test",
        "auth.test",
        "reactions.add",
        "auth.test",
    ]
    assert standin.calls()[0].token is None
    assert standin.calls()[1].headers["Authorization"] == "Bearer xoxp-user"


# --------------------------------------------------------------------- people and groups


def test_lookup_by_email(standin: SlackStandin, client: WebClient) -> None:
    standin.add_user("U0CSM", email="csm@example.com", name="Casey", tz="Europe/Berlin")
    user = client.users_lookupByEmail(email="CSM@example.com")["user"]
    assert (user["id"], user["real_name"], user["tz"]) == ("U0CSM", "Casey", "Europe/Berlin")
    assert client.users_info(user="U0CSM")["user"]["profile"]["email"] == "csm@example.com"
    missing = api_error(client.users_lookupByEmail, email="nobody@example.com")
    assert missing.response["error"] == "users_not_found"
    assert client.users_info(user="U0ANYONE")["user"]["deleted"] is False, "tests name people"
    standin.strict_users = True
    assert api_error(client.users_info, user="U0NOPE").response["error"] == "user_not_found"


def test_users_info_tells_deactivated_bots_and_strangers_apart(
    standin: SlackStandin, client: WebClient
) -> None:
    standin.add_user("U0GONE", deleted=True)
    standin.add_user("U0EXT", team_id="T0OTHER", is_stranger=True)
    assert client.users_info(user="U0GONE")["user"]["deleted"] is True
    external = client.users_info(user="U0EXT")["user"]
    assert (external["team_id"], external["is_stranger"]) == ("T0OTHER", True)
    changed = standin.change_user("U0CSM", deleted=True)
    assert changed["deleted"] is True and client.users_info(user="U0CSM")["user"]["deleted"]


def test_usergroups(standin: SlackStandin, client: WebClient) -> None:
    standin.add_usergroup("S0CSM", "csm-oncall", ["U1", "U2"])
    groups = client.usergroups_list(include_users=True)["usergroups"]
    assert [(g["id"], g["handle"], g["users"]) for g in groups] == [
        ("S0CSM", "csm-oncall", ["U1", "U2"])
    ]
    assert client.usergroups_users_list(usergroup="S0CSM")["users"] == ["U1", "U2"]
    error = api_error(client.usergroups_users_list, usergroup="S0NOPE")
    assert error.response["error"] == "no_such_subteam"


# ---------------------------------------------------------------------------------- views


def test_views_open_update_and_publish(standin: SlackStandin, client: WebClient) -> None:
    opened = client.views_open(trigger_id="1.2.3", view=MODAL)["view"]
    assert opened["id"].startswith("V")
    assert opened["callback_id"] == "log_risk"
    retitled = MODAL | {"title": {"type": "plain_text", "text": "Saved"}}
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=retitled)
    assert updated["view"]["title"]["text"] == "Saved"
    stale = api_error(client.views_update, view_id=opened["id"], hash=opened["hash"], view=MODAL)
    assert stale.response["error"] == "hash_conflict"
    missing = api_error(client.views_update, view_id="V0NOPE", view=MODAL)
    assert missing.response["error"] == "not_found"

    client.views_publish(user_id="U0CSM", view={"type": "home", "blocks": [SECTION]})
    assert standin.home_view("U0CSM")["blocks"] == [SECTION]


@pytest.mark.parametrize(
    "view",
    [
        MODAL | {"blocks": [SECTION] * 101},
        MODAL | {"blocks": [{"type": "section"}]},
        {k: v for k, v in MODAL.items() if k != "title"},
    ],
    ids=["101-blocks", "bad-block", "no-title"],
)
def test_invalid_views_are_refused(client: WebClient, view: dict) -> None:
    error = api_error(client.views_open, trigger_id="1.2.3", view=view)
    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"]


def test_a_hundred_view_blocks_are_fine(client: WebClient) -> None:
    assert client.views_open(trigger_id="1.2.3", view=MODAL | {"blocks": [SECTION] * 100})["ok"]


# ------------------------------------------------------------------ response_url and files


def test_response_urls_are_recorded(standin: SlackStandin) -> None:
    url = standin.new_response_url()
    assert url.startswith(f"{standin.base_url}/response/")
    reply = WebhookClient(url).send(text="On it", response_type="ephemeral")
    assert reply.status_code == 200
    assert standin.responses(url) == [{"text": "On it", "response_type": "ephemeral"}]
    assert standin.responses(standin.new_response_url()) == []
    assert WebhookClient(f"{standin.base_url}/response/never-issued").send(text="x").status_code
    assert len(standin.responses()) == 1


def test_upload_flow(standin: SlackStandin, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="chart below")
    done = client.files_upload_v2(
        content=b"\x89PNG...", filename="x.png", channel="C1", thread_ts=posted["ts"]
    )
    assert done["file"]["name"] == "x.png"
    (upload,) = standin.files()
    assert (upload.content, upload.channels, upload.completed) == (b"\x89PNG...", ["C1"], True)
    complete = standin.last_call("files.completeUploadExternal").args
    assert complete["files"] == [{"id": upload.file_id, "title": "x.png"}]
    assert complete["thread_ts"] == posted["ts"]
    shared = standin.messages("C1")[-1]
    assert (shared["thread_ts"], shared["files"][0]["id"]) == (posted["ts"], upload.file_id)


def test_complete_without_upload_is_refused(client: WebClient) -> None:
    file_id = client.files_getUploadURLExternal(filename="a.txt", length=3)["file_id"]
    error = api_error(client.files_completeUploadExternal, files=[{"id": file_id}])
    assert error.response["error"] == "file_not_found"


# -------------------------------------------------------------------------- housekeeping


def test_wait_for_calls_sees_work_done_in_another_thread(
    standin: SlackStandin, client: WebClient
) -> None:
    worker = threading.Thread(target=client.chat_postMessage, kwargs={"channel": "C", "text": "x"})
    worker.start()
    assert standin.wait_for_calls("chat.postMessage")[0].args["text"] == "x"
    worker.join()
    with pytest.raises(AssertionError, match=r"chat\.update"):
        standin.wait_for_calls("chat.update", timeout=0.01)


def test_clear_keeps_messages_and_reset_drops_them(
    standin: SlackStandin, client: WebClient
) -> None:
    client.chat_postMessage(channel="C1", text="x")
    standin.clear()
    assert standin.calls() == []
    assert len(standin.messages()) == 1
    standin.reset()
    assert standin.messages() == []


def test_api_url_needs_a_started_server() -> None:
    standin = SlackStandin()
    with pytest.raises(RuntimeError):
        _ = standin.api_url
    with standin:
        assert standin.api_url.startswith("http://127.0.0.1:")
        assert standin.api_url.endswith("/api/")


# ------------------------------------------------------------------------- SlackSender

SECRET = "test-signing-secret"
NOW = 1_700_000_000


class _FrozenClock(Clock):
    def now(self) -> float:
        return NOW


class _Recorder(ThreadingHTTPServer):
    """A tiny app that checks signatures the way Bolt does and echoes what it got."""

    daemon_threads = True
    verifier = SignatureVerifier(SECRET, clock=_FrozenClock())
    received: list[tuple[str, dict[str, str], bytes]]


class _RecorderHandler(BaseHTTPRequestHandler):
    server: _Recorder

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, dict(self.headers.items()), body))
        valid = self.server.verifier.is_valid_request(body, dict(self.headers.items()))
        self.send_response(200 if valid else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    server = _Recorder(("127.0.0.1", 0), _RecorderHandler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def sender(recorder: _Recorder, standin: SlackStandin) -> SlackSender:
    host, port = recorder.server_address[:2]
    return SlackSender(
        f"http://{host}:{port}",
        SECRET,
        clock=lambda: NOW,
        response_url_factory=standin.new_response_url,
    )


def last_body(recorder: _Recorder) -> bytes:
    path, _, body = recorder.received[-1]
    assert path == "/slack/events"
    return body


def test_sign_matches_slack_sdk() -> None:
    headers = SlackSender("http://unused", SECRET).sign(b"a=1", NOW)
    expected = SignatureVerifier(SECRET).generate_signature(timestamp=str(NOW), body="a=1")
    assert headers == {"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": expected}


def test_slash_command_is_signed_and_complete(
    sender: SlackSender, recorder: _Recorder, standin: SlackStandin
) -> None:
    assert sender.slash_command("risk acme", user_id="U0CSM").status == 200
    fields = {k: v[0] for k, v in parse_qs(last_body(recorder).decode()).items()}
    assert fields["command"] == "/churn"
    assert fields["text"] == "risk acme"
    assert fields["team_id"] == "T0TEST"
    assert fields["response_url"].startswith(f"{standin.base_url}/response/")
    expected = {"token", "team_domain", "channel_id", "channel_name", "user_name", "api_app_id"}
    assert expected | {"trigger_id", "user_id"} <= fields.keys()


def test_interactive_payloads(sender: SlackSender, recorder: _Recorder) -> None:
    action = sender.block_action("snooze", "7d", user_id="U0CSM", channel_id="C1", message_ts="9.1")
    assert action["actions"][0] | {"action_ts": None} == {
        "action_id": "snooze",
        "block_id": "b",
        "type": "button",
        "value": "7d",
        "action_ts": None,
    }
    assert action["container"]["message_ts"] == action["message"]["ts"] == "9.1"
    assert sender.interactive(action).status == 200
    sent = json.loads(parse_qs(last_body(recorder).decode())["payload"][0])
    assert sent == action

    submitted = sender.view_submission("log_risk", {"reason": {"text": "price"}}, user_id="U1")
    assert submitted["view"]["state"]["values"]["reason"]["text"]["value"] == "price"
    shortcut = sender.message_shortcut(
        "save", {"ts": "5.5", "text": "bye"}, user_id="U1", channel_id="C1"
    )
    assert (shortcut["type"], shortcut["message_ts"], shortcut["channel"]["id"]) == (
        "message_action",
        "5.5",
        "C1",
    )


def test_events_and_retries(sender: SlackSender, recorder: _Recorder) -> None:
    event = {"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1", "ts": "1.1"}
    assert sender.event(event, event_id="Ev1", retry_num=1).status == 200
    _, headers, body = recorder.received[-1]
    envelope = json.loads(body)
    assert (envelope["type"], envelope["event_id"], envelope["event"]) == (
        "event_callback",
        "Ev1",
        event,
    )
    assert envelope["event_time"] == NOW
    assert headers["X-Slack-Retry-Num"] == "1"
    assert headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert sender.url_verification("abc").status == 200
    assert json.loads(last_body(recorder))["challenge"] == "abc"


def test_stale_and_unsigned_requests_get_401(sender: SlackSender) -> None:
    stale = SlackSender(sender.base_url, SECRET, clock=lambda: NOW - 600)
    assert stale.url_verification("abc").status == 401
    assert sender.post("/slack/events", b"{}", {"Content-Type": "application/json"}).status == 401
    wrong = SlackSender(sender.base_url, "other-secret", clock=lambda: NOW)
    assert wrong.slash_command("x").status == 401
