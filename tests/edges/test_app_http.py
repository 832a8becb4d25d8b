"""The running app over HTTP: signed Slack requests in, the stand-in answering Web API calls."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from dataclasses import replace

import pytest
from slack_bolt import App

from handlers.slack_app import build_bolt_app
from handlers.web import create_web_app
from tests.conftest import RunningApp, patient


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_churn_help_answers_usage(running_app: RunningApp) -> None:
    response = running_app.slack.slash_command("help")
    assert response.status == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "/churn cancel" in body["text"]


def test_malformed_churn_answers_usage(running_app: RunningApp) -> None:
    for text in ["frobnicate", "x" * 5000, '"unclosed', "🔥🔥", "cases everything", "report year"]:
        response = running_app.slack.slash_command(text)
        assert response.status == 200, text
        assert response.json()["response_type"] == "ephemeral"
        assert "/churn help" in response.json()["text"]


def test_unsigned_and_stale_requests_are_rejected(running_app: RunningApp) -> None:
    body = b"command=%2Fchurn&text=help&user_id=U1"
    unsigned = running_app.slack.post(
        "/slack/events", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert unsigned.status == 401
    stale = running_app.slack.sign(body, int(time.time()) - 600)
    stale["Content-Type"] = "application/x-www-form-urlencoded"
    assert running_app.slack.post("/slack/events", body, stale).status == 401
    forged = running_app.slack.sign(body, int(time.time()))
    forged["X-Slack-Signature"] = "v0=" + "0" * 64
    forged["Content-Type"] = "application/x-www-form-urlencoded"
    assert running_app.slack.post("/slack/events", body, forged).status == 401


def test_a_body_that_is_not_json_is_refused_without_a_traceback(
    running_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """JSON that is not, unsigned: 401 as for any unsigned body (it was a 500 and a logged
    traceback, so anyone could fill the error log); signed: 400."""
    body, json_type = b"aaaa", {"Content-Type": "application/json"}
    unsigned = running_app.slack.post("/slack/events", body, json_type)
    assert unsigned.status == 401
    signed = running_app.slack.sign(body, int(time.time())) | json_type
    assert running_app.slack.post("/slack/events", body, signed).status == 400
    assert "Traceback" not in caplog.text and not [
        r for r in caplog.records if r.levelno >= logging.ERROR
    ]


@pytest.mark.parametrize(
    "event",
    [{"type": "user_change", "user": 7}, {"type": "team_join", "user": 7.5}],
    ids=["user_is_a_number", "user_is_a_float"],
)
def test_json_bolt_cannot_read_is_refused_without_a_traceback(
    running_app: RunningApp, caplog: pytest.LogCaptureFixture, event: object
) -> None:
    """Well-formed JSON whose fields are not what Slack sends (Bolt's own parsing raised
    before the signature was checked: a 500 and a logged traceback for anyone): unsigned
    401, signed 400."""
    body = json.dumps({"type": "event_callback", "event": event}).encode()
    json_type = {"Content-Type": "application/json"}
    assert running_app.slack.post("/slack/events", body, json_type).status == 401
    signed = running_app.slack.sign(body, int(time.time())) | json_type
    assert running_app.slack.post("/slack/events", body, signed).status == 400
    assert "Traceback" not in caplog.text and not [
        r for r in caplog.records if r.levelno >= logging.ERROR
    ]


def test_url_verification(running_app: RunningApp) -> None:
    response = running_app.slack.url_verification("abc123")
    assert response.status == 200
    assert "abc123" in response.text


def test_healthz(running_app: RunningApp) -> None:
    status, body = get(running_app.base_url + "/healthz")
    assert (status, body["status"]) == (200, "ok")


def test_healthz_503_when_database_is_gone(running_app: RunningApp) -> None:
    db = running_app.services.db
    original = db.problem
    db.problem = lambda: "connection refused"  # type: ignore[method-assign]
    try:
        status, body = get(running_app.base_url + "/healthz")
    finally:
        db.problem = original  # type: ignore[method-assign]
    assert (status, body["status"]) == (503, "unavailable")
    assert body["reasons"] == ["database not answering: connection refused"]


def test_unexpected_error_gets_apology_with_reference(running_app: RunningApp, caplog) -> None:
    bolt: App = running_app.web_bolt  # type: ignore[attr-defined]

    @bolt.command("/boom")
    def boom(ack, command):  # type: ignore[no-untyped-def]
        ack()
        raise RuntimeError("kaboom")

    patient(bolt)  # the listener added here too waits for a busy machine, as the app's do

    response = running_app.slack.slash_command("", command="/boom")
    assert response.status == 200
    apologies = running_app.standin.wait_for_responses(1)
    text = apologies[0]["text"]
    assert "Sorry" in text and "reference" in text
    assert "kaboom" not in text
    ref = text.split("`")[1]
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)


def test_socket_mode_serves_no_unsigned_http_route(services) -> None:  # type: ignore[no-untyped-def]
    socket = replace(services, settings=replace(services.settings, slack_app_token="xapp-1"))
    web = create_web_app(socket, build_bolt_app(socket))
    client = web.test_client()
    body = "command=%2Fchurn&text=cancel+acme&user_id=U0EVIL"
    response = client.post(
        "/slack/events", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 404
    assert client.get("/healthz").status_code == 200
