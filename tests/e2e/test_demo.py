"""`python app.py demo` without a browser: the page's API drives Savedesk through its real
/slack/events, and what Savedesk says lands in the stand-in where the page shows it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.policy import load_policy
from demo.page import create_page_app
from demo.runtime import EXAMPLE_POLICY, Demo, next_business_morning
from demo.standin import SlackStandin
from demo.workspace import populate
from tests.conftest import eventually
from tests.demo_fixtures import page_call, page_state, start_demo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> Iterator[Demo]:
    yield from start_demo(db_url, tmp_path / "demo")


def root_of(demo: Demo, title: str) -> dict:
    return eventually(
        lambda: next((m for m in demo.standin.messages("C0CASES") if title in m["text"]), None)
    )


def button(message: dict, action_id: str) -> dict:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element | {"block_id": block.get("block_id")}
    raise AssertionError(f"no {action_id} button")


def story(demo: Demo, user: str = "U0CSM") -> dict[str, bool]:
    return {step["id"]: step["done"] for step in page_state(demo, user)["story"]}


def test_a_cancellation_is_opened_routed_and_acknowledged(demo: Demo) -> None:
    status, _ = page_call(
        demo, "command", "U0CSM", channel="C0CASES", text="/churn cancel acme budget cut"
    )
    assert status == 200
    root = root_of(demo, "Cancellation: Acme Corp")
    assert "<@U0SAVE1>" in root["text"]  # $84,000 is above the policy's 50,000: save desk
    mine = eventually(  # one message: the confirmation in place of "Opening a case…"
        lambda: [e for e in page_state(demo, "U0CSM")["ephemerals"] if "Opened case" in e["text"]]
    )
    assert mine and len(page_state(demo, "U0CSM")["ephemerals"]) == 1
    assert page_state(demo, "U0MGR")["ephemerals"] == []  # only the person who typed sees it
    eventually(lambda: story(demo)["routed"])

    ack = button(root, "case_acknowledge")
    action = {"action_id": ack["action_id"], "value": ack["value"], "block_id": ack["block_id"]}
    status, _ = page_call(
        demo, "action", "U0SAVE1", channel="C0CASES", ts=root["ts"], action=action
    )
    assert status == 200
    eventually(lambda: story(demo)["acknowledge"])
    assert not story(demo)["report"]  # a step ticks only when it happens


def test_the_report_step_ticks_once_the_report_and_its_chart_are_posted(demo: Demo) -> None:
    assert not story(demo, "U0MGR")["report"]
    status, _ = page_call(demo, "command", "U0MGR", channel="C0LEADERS", text="/churn report week")
    assert status == 200
    eventually(lambda: story(demo, "U0MGR")["report"], timeout=30)  # a chart is drawn
    posted = [m["text"] for m in demo.standin.messages("C0LEADERS")]
    assert any(text.startswith("Revenue at risk") for text in posted)
    assert any(call.method == "files.completeUploadExternal" for call in demo.standin.calls())


def test_modal_errors_show_under_the_field_and_a_good_submission_closes_it(demo: Demo) -> None:
    page_call(demo, "command", "U0CSM", channel="C0CASES", text="/churn cancel acme budget cut")
    root = root_of(demo, "Cancellation: Acme Corp")
    offer = button(root, "case_offer")
    action = {"action_id": "case_offer", "value": offer["value"], "block_id": offer["block_id"]}
    page_call(demo, "action", "U0CSM", channel="C0CASES", ts=root["ts"], action=action)
    view = eventually(lambda: page_state(demo, "U0CSM")["modals"])[-1]
    values = {
        "type": {"type": {"type": "static_select", "selected_option": {"value": "discount"}}},
        "value": {"value": {"type": "number_input", "value": "lots"}},
        "discount_pct": {"discount_pct": {"type": "number_input", "value": "20"}},
        "duration": {"duration": {"type": "plain_text_input", "value": "12 months"}},
        "justification": {"justification": {"type": "plain_text_input", "value": "budget"}},
        "tried": {"tried": {"type": "plain_text_input", "value": None}},
    }
    status, answer = page_call(demo, "submit", "U0CSM", view_id=view["id"], values=values)
    assert (status, answer["response_action"]) == (200, "errors")
    shown = page_state(demo, "U0CSM")["modals"][-1]
    assert shown["id"] == view["id"] and "value" in shown["errors"]

    values["value"]["value"]["value"] = "16800"
    page_call(demo, "submit", "U0CSM", view_id=view["id"], values=values)
    assert page_state(demo, "U0CSM")["modals"] == []
    eventually(lambda: story(demo)["offer"])


def test_an_unknown_slash_command_is_answered_as_slack_answers_it(demo: Demo) -> None:
    status, _ = page_call(demo, "command", "U0CSM", channel="C0CASES", text="/chrun cancel acme")
    assert status == 200
    (shown,) = page_state(demo, "U0CSM")["ephemerals"]
    assert shown["via"] == "slack" and shown["channel"] == "C0CASES"
    assert shown["text"].startswith("/chrun is not a valid command.")
    assert page_state(demo, "U0MGR")["ephemerals"] == []
    assert demo.client.inbound() == []  # Slack sends nothing to any app
    assert demo.standin.messages("C0CASES") == []


def test_a_refused_click_answers_the_clicker_through_response_url(
    demo: Demo, db_url: str, tmp_path: Path
) -> None:
    page_call(demo, "command", "U0CSM", channel="C0CASES", text="/churn cancel acme budget cut")
    root = root_of(demo, "Cancellation: Acme Corp")
    reassign = button(root, "case_remove_csm")  # managers only
    action = {"action_id": reassign["action_id"], "value": reassign["value"]}
    page_call(demo, "action", "U0AE", channel="C0CASES", ts=root["ts"], action=action)
    refusal = eventually(
        lambda: [e for e in demo.standin.ephemerals("U0AE") if e["via"] == "response_url"]
    )
    assert refusal[0]["channel"] == "C0CASES"
    assert ":no_entry:" in refusal[0]["text"]
    eventually(  # the queued confirmation
        lambda: any("Opened case" in e["text"] for e in demo.standin.ephemerals("U0CSM"))
    )

    env = os.environ | {
        "SLACK_BOT_TOKEN": "xoxb-check",
        "SLACK_SIGNING_SECRET": "check",
        "SLACK_API_URL": demo.standin.api_url,  # Slack not reached is one of check's problems
        "DATABASE_URL": db_url,
        "POLICY_FILE": str(EXAMPLE_POLICY),
    }
    check = subprocess.run(
        [sys.executable, "app.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "problem" not in check.stdout


def test_a_message_in_a_watched_channel_arrives_escaped_and_gets_the_offer(demo: Demo) -> None:
    text = "Acme says they will cancel <soon> & switch"
    page_call(demo, "message", "U0CSM", channel="C0SUPPORT", text=text)
    (posted,) = [m for m in demo.standin.messages("C0SUPPORT") if m["user"] == "U0CSM"]
    assert posted["text"] == "Acme says they will cancel &lt;soon&gt; &amp; switch"
    reply = eventually(
        lambda: [m for m in demo.standin.messages("C0SUPPORT") if m["thread_ts"] == posted["ts"]]
    )
    assert "case_open_from_message" in json.dumps(reply[0]["blocks"])


def test_the_clock_moves_forward_and_runs_due_work(demo: Demo) -> None:
    page_call(demo, "command", "U0CSM", channel="C0CASES", text="/churn risk globex usage_drop")
    root_of(demo, "Usage drop: Globex")
    before = demo.clock.now()
    for step in ("morning", "day"):
        status, _ = page_call(demo, "clock", "U0CSM", step=step)
        assert status == 200
    assert (demo.clock.now() - before).days >= 1
    eventually(lambda: story(demo)["nudge"], timeout=15)
    assert page_call(demo, "clock", "U0CSM", step="back")[0] == 400


def test_quick_clock_moves_each_run_their_own_due_work(demo: Demo) -> None:
    """+1 day clicked four times in a row: each move's tick runs at its own time, so the
    repeats of an escalation are each posted, none read as missed while Savedesk was
    offline (the story's nudge step showed "Catching up: ... missed")."""
    page_call(demo, "command", "U0CSM", channel="C0CASES", text="/churn risk globex usage_drop")
    root_of(demo, "Usage drop: Globex")
    for step in ("morning", "day", "day", "day", "day"):
        assert page_call(demo, "clock", "U0CSM", step=step)[0] == 200
    assert demo.settled(timeout=30)
    said = [json.dumps(m) for m in demo.standin.messages()]
    assert [s for s in said if "Escalating" in s or "Still nobody" in s]
    assert not [s for s in said if "Catching up" in s]


def test_bad_intents_get_400_naming_the_problem(demo: Demo) -> None:
    assert page_call(demo, "command", "U0NOBODY", channel="C0CASES", text="/churn")[0] == 400
    status, body = page_call(demo, "command", "U0CSM", text="/churn")
    assert (status, body["error"]) == (400, "missing field 'channel'")
    status, body = page_call(demo, "action", "U0CSM", channel="C0CASES", ts="1.0", action="go")
    assert (status, body["error"]) == (400, "field 'action' must be an object")
    status, body = page_call(demo, "command", "U0CSM", channel=["C0CASES"], text="/churn")
    assert (status, body["error"]) == (400, "field 'channel' must be a string")
    status, body = page_call(demo, "message", "U0CSM", channel="C0CASES", text="hi", thread_ts=7)
    assert (status, body["error"]) == (400, "field 'thread_ts' must be a string")
    assert page_call(demo, "nonsense", "U0CSM")[0] == 404
    status, body = page_call(demo, "submit", "U0CSM", view_id="V404", values={})
    assert (status, body["error"]) == (400, "that view is closed")
    for asked in ("", "?user=U0NOBODY"):  # a probe or an old link: 400, no traceback
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{demo.page_url}/api/state{asked}", timeout=10)
        assert refused.value.code == 400 and b"unknown person" in refused.value.read()


def test_next_business_morning_follows_the_policy_calendar() -> None:
    policy = load_policy(EXAMPLE_POLICY)
    friday_evening = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)  # 18:00 in New York
    assert next_business_morning(friday_evening, policy) == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    monday_early = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # 07:00 in New York
    assert next_business_morning(monday_early, policy).hour == 14


def test_app_py_demo_prints_one_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = os.environ | {"TMPDIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "app.py", "demo", "--no-browser", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("Savedesk demo: http://127.0.0.1:"), line
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err
    assert not list(tmp_path.glob("savedesk-demo-*"))  # its temp folder is gone


def test_ctrl_c_with_a_page_connected_stops_quickly_and_quietly(tmp_path: Path) -> None:
    """A browser keeps its connections open (keep-alive): Ctrl-C still stops the demo
    within seconds, with no traceback (waitress's sockets are closed by its own loop)."""
    import http.client
    import time

    env = os.environ | {"TMPDIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "app.py", "demo", "--no-browser", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        url = line.split()[2]
        host, port = url.removeprefix("http://").rstrip("/").split(":")
        pages = [http.client.HTTPConnection(host, int(port), timeout=5) for _ in range(3)]
        for page in pages:  # each keeps its connection open after a full answer
            page.request("GET", "/")
            page.getresponse().read()
        pages[0].request("GET", "/")  # and one asked, its answer not read
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        out, err = process.communicate(timeout=20)
        took = time.monotonic() - started
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err and "Errno" not in err, err
    # a server thread waiting on a kept connection is given up on after 10 s (Demo.stop), the
    # rest is a loaded machine's margin (quiet, under a second)
    assert took < 9, f"took {took:.1f} s to stop"


def test_the_message_shortcut_opens_the_case_modal_for_whoever_chose_it(demo: Demo) -> None:
    page_call(demo, "message", "U0AE", channel="C0GENERAL", text="Hooli asked about pricing")
    (said,) = demo.standin.messages("C0GENERAL")
    status, _ = page_call(demo, "shortcut", "U0CSM", channel="C0GENERAL", ts=said["ts"])
    assert status == 200
    modal = eventually(lambda: page_state(demo, "U0CSM")["modals"])[-1]
    assert "Hooli" in json.dumps(modal["blocks"])  # the account the message names
    assert page_state(demo, "U0AE")["modals"] == []
    page_call(demo, "close", "U0CSM", view_id=modal["id"])
    assert page_state(demo, "U0CSM")["modals"] == []


def test_the_offset_clock_only_moves_forward() -> None:
    from datetime import timedelta

    from bot.common.clock import FakeClock, OffsetClock

    base = FakeClock()
    clock = OffsetClock(base)
    assert clock.now() == base.now()
    clock.advance(timedelta(days=1))
    base.advance(timedelta(minutes=5))
    assert clock.now() == base.now() + timedelta(days=1)
    assert clock.offset == timedelta(days=1)
    with pytest.raises(ValueError):
        clock.advance(timedelta(hours=-1))


def test_the_story_has_ten_well_formed_steps() -> None:
    from demo.story import load_steps

    steps = load_steps()
    assert len(steps) == 10
    assert len({s.id for s in steps}) == 10
    assert all(s.title and s.hint and s.when for s in steps)


def test_the_page_loads_nothing_from_the_internet() -> None:
    static = ROOT / "demo" / "static"
    html = (static / "index.html").read_text()
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert "@import" not in (static / "app.css").read_text()
    for script in static.glob("*.js"):
        assert "fetch(`http" not in script.read_text() and 'fetch("http' not in script.read_text()


@pytest.mark.parametrize(
    ("asked", "opened"),
    [
        ("?user=U0NOBODY&channel=C0NOPE", "/?user=U0CSM&channel=C0CASES"),
        ("?user=U0MGR&channel=C0NOPE", "/?user=U0MGR&channel=C0CASES"),
        ("?user=u0mgr&channel=C0LEADERS", "/?user=U0CSM&channel=C0LEADERS"),
        ("?user=U0PRICING", "/?user=U0CSM&channel=C0CASES"),  # not in "Acting as"
        ("?user=U0CFO&channel=D0CFO", "/?user=U0CFO&channel=C0CASES"),  # a DM is "app"
    ],
)
def test_an_address_naming_nobody_opens_the_csm_in_cases(asked: str, opened: str) -> None:
    """An old or mistyped link used to leave the page blank, every poll refused."""
    standin = SlackStandin()
    populate(standin)
    page = create_page_app(SimpleNamespace(standin=standin, client=None)).test_client()
    answer = page.get(f"/{asked}")
    assert (answer.status_code, answer.headers["Location"]) == (302, opened)


@pytest.mark.parametrize(
    "asked", ["", "?user=U0CTRL", "?user=U0FIN&channel=app", "?channel=C0SALES"]
)
def test_a_good_address_opens_as_it_is(asked: str) -> None:
    standin = SlackStandin()
    populate(standin)
    page = create_page_app(SimpleNamespace(standin=standin, client=None)).test_client()
    answer = page.get(f"/{asked}")
    assert answer.status_code == 200 and b"Savedesk" in answer.data
