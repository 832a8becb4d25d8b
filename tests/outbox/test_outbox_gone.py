"""Refusals no wait helps (bot/outbox/deleted.py), over the HTTP stand-in: an edit of a
message someone deleted in Slack is dropped (and a deleted case root is posted again,
once), and a DM Slack refuses for good for that person fails at once, said in the case
thread and in `check`."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot import outbox
from bot.outbox.refusals import Refusal, classify
from bot.runtime.services import Services
from bot.setup.checkup import database_state
from demo.standin import SlackStandin
from storage import cases as case_rows
from storage.models import Case, OutboxMessage
from tests.conftest import RunningApp, eventually, seed_account


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    seed_account(running_app.services, "acme", "Acme Corp")
    return running_app


def open_case(app: RunningApp) -> Case:
    assert app.slack.slash_command("cancel acme budget cut", user_id="U0CSM").status == 200
    eventually(lambda: the_case(app.services) is not None)
    app.tick()
    case = the_case(app.services)
    assert case is not None
    return case


def the_case(services: Services) -> Case | None:
    with services.db.read() as session:
        return session.scalars(select(Case)).first()


def outbox_row(services: Services, row_id: int) -> OutboxMessage:
    with services.db.read() as session:
        found = session.get(OutboxMessage, row_id)
        assert found is not None
        return found


def events(services: Services, case_id: int, type: str) -> list[str]:
    with services.db.read() as session:
        return [e.text for e in case_rows.events(session, case_id) if e.type == type]


def test_the_two_new_kinds_are_classified() -> None:
    assert classify(200, "message_not_found") is Refusal.GONE
    for error in ("channel_not_found", "user_not_found", "cannot_dm_bot", "user_disabled"):
        assert classify(200, error, dm=True) is Refusal.PERSON
    assert classify(200, "channel_not_found") is Refusal.CHANNEL, "a channel still waits"


# -- an edit of a deleted message --------------------------------------------------------------


def test_a_deleted_case_root_is_posted_again_once_and_its_thread_goes_there(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    standin, services = app.standin, app.services
    case = open_case(app)
    assert case.root_message_id is not None
    old = outbox_row(services, case.root_message_id)
    assert old.ts is not None
    standin.delete_message("C0CASES", old.ts)

    with caplog.at_level(logging.WARNING):
        services.cases.add_note(case.id, "U0AE", "called their CFO")
        app.tick()
        app.tick()

    new = outbox_row(services, case.root_message_id)
    assert new.state == "sent" and new.ts not in (None, old.ts)
    roots = [m for m in standin.messages("C0CASES") if m["thread_ts"] in (None, m["ts"])]
    assert len(roots) == 1 and roots[0]["ts"] == new.ts and "Acme Corp" in roots[0]["text"]
    thread = [m for m in standin.messages("C0CASES") if m["thread_ts"] == new.ts]
    assert any("deleted in Slack" in m["text"] for m in thread)
    assert any("called their CFO" in m["text"] for m in thread), "the line waited for it"
    assert events(services, case.id, "thread_deleted")
    dms = [m["text"] for m in standin.messages("D0AE") if "deleted in Slack" in m["text"]]
    assert len(dms) == 1 and new.ts.replace(".", "") in dms[0], "the owner gets the new link"
    refused = [c for c in standin.calls("chat.update") if c.args.get("ts") == old.ts]
    assert len(refused) == 1, "the edit of the deleted root is tried once, never again"
    told = [r for r in caplog.records if "was deleted in Slack; the edit" in r.getMessage()]
    assert len(told) == 1

    services.cases.add_note(case.id, "U0AE", "they signed")
    app.tick()
    edited = [c for c in standin.calls("chat.update") if c.args.get("ts") == new.ts]
    assert edited, "the new root is edited in place"
    later = [m for m in standin.messages("C0CASES") if "they signed" in m["text"]]
    assert later and later[0]["thread_ts"] == new.ts, "later lines go to the new thread"
    roots = [m for m in standin.messages("C0CASES") if m["thread_ts"] in (None, m["ts"])]
    assert len(roots) == 1, "nothing is posted twice"
    assert "failed" not in {r.state for r in all_rows(services)}


def test_a_closed_case_root_deleted_is_not_posted_again(app: RunningApp) -> None:
    standin, services = app.standin, app.services
    case = open_case(app)
    assert case.root_message_id is not None
    old = outbox_row(services, case.root_message_id)
    assert old.ts is not None
    standin.delete_message("C0CASES", old.ts)
    services.cases.close(case.id, "U0AE", "saved")
    app.tick()
    roots = [m for m in standin.messages("C0CASES") if m["thread_ts"] in (None, m["ts"])]
    assert roots == [] and outbox_row(services, case.root_message_id).ts == old.ts
    assert events(services, case.id, "thread_deleted")
    assert "failed" not in {r.state for r in all_rows(services)}


def all_rows(services: Services) -> list[OutboxMessage]:
    with services.db.read() as session:
        return list(session.scalars(select(OutboxMessage)))


def test_an_edit_of_a_deleted_message_is_dropped_without_retries(
    services: Services, standin: SlackStandin
) -> None:
    now = services.clock.now()
    with services.db.session() as session:
        message = outbox.post(session, now, "C0SURVEY", "v1")
    services.deliver()
    posted = outbox_row(services, message.id)
    assert posted.ts is not None
    standin.delete_message("C0SURVEY", posted.ts)
    with services.db.session() as session:
        root = session.get(OutboxMessage, message.id)
        assert root is not None
        edit = outbox.update(session, now, root, "v2")
    report = services.deliver()
    assert (report.superseded, report.failed, report.retrying) == (1, 0, 0)
    dropped = outbox_row(services, edit.id)
    assert dropped.state == "superseded" and "deleted in Slack" in (dropped.last_error or "")
    assert standin.messages("C0SURVEY") == [], "a message that is no case root is not reposted"
    assert len(standin.calls("chat.update")) == 1


# -- a DM Slack refuses for that person --------------------------------------------------------


@pytest.mark.parametrize("error", ["cannot_dm_bot", "channel_not_found", "user_not_found"])
def test_a_dm_refused_for_that_person_fails_at_once_and_the_case_thread_says_so(
    app: RunningApp, error: str
) -> None:
    standin, services = app.standin, app.services
    case = open_case(app)
    if error == "cannot_dm_bot":
        standin.add_user("U0ROBOT", is_bot=True)
    else:
        standin.fail_next("chat.postMessage", error=error, channel="U0ROBOT")
    with services.db.session() as session:
        loaded = session.get(Case, case.id)
        assert loaded is not None
        root = case_rows.root_message(session, loaded)
        assert root is not None
        dm = outbox.linked(session, services.clock.now(), "U0ROBOT", root, "Please call Acme")
    app.tick()

    failed = outbox_row(services, dm.id)
    assert failed.state == "failed" and failed.attempts == 1, "no retries, no wait"
    assert "<@U0ROBOT>" in (failed.last_error or "") and error in (failed.last_error or "")
    assert services.deliverer.waiting_channels() == [], "a person's DM is no channel to wait on"
    line = [m for m in standin.messages("C0CASES") if "Could not reach <@U0ROBOT>" in m["text"]]
    assert len(line) == 1 and "Please call Acme" in line[0]["text"]
    assert events(services, case.id, "dm_unreachable")
    problems = database_state(services.db, services.policy).problems
    assert any("<@U0ROBOT>" in p and f"message {dm.id}" in p for p in problems)


def test_the_standin_refuses_dms_as_slack_does(standin: SlackStandin) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(base_url=standin.api_url, token="xoxb-test")
    standin.add_user("U0ROBOT", is_bot=True)
    standin.add_user("U0GONE", deleted=True)
    standin.strict_users = True
    for call, error in [
        (lambda: client.chat_postMessage(channel="U0ROBOT", text="hi"), "cannot_dm_bot"),
        (lambda: client.chat_postMessage(channel="U0NOBODY", text="hi"), "channel_not_found"),
        (lambda: client.conversations_open(users="U0GONE"), "user_disabled"),
        (lambda: client.conversations_open(users="U0NOBODY"), "user_not_found"),
    ]:
        with pytest.raises(SlackApiError) as raised:
            call()
        assert raised.value.response["error"] == error
    assert client.chat_postMessage(channel="U0GONE", text="hi")["ok"], "as Slack: it posts"
