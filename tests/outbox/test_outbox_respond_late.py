"""A command's answer Slack will no longer take on its response_url comes as a DM (bot/outbox/
outcomes.py, `Recorder`): over HTTP, with the stand-in keeping Slack's 30 minutes on the test
clock and no worker running the case's job until the test does (a worker down, an outage)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from waitress.server import create_server

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.outbox import RESPOND
from bot.runtime.jobs import Claimed, Done, JobKind
from bot.runtime.services import Services
from bot.setup.checkup import database_state
from bot.signals.jobs import queue_open
from demo.standin import SlackStandin
from demo.standin.sender import SlackSender
from handlers.slack_app import build_bolt_app
from handlers.web import create_web_app
from storage import accounts as accounts_store
from storage.models import Case, OutboxMessage
from tests.conftest import SIGNING_SECRET, seed_account, serve_until_closed, stop_server

ASKER = "U0CSM"  # who types the command
DM_LINE = "Sent as a direct message"


@pytest.fixture
def standin(clock: FakeClock) -> Iterator[SlackStandin]:
    """Slack, whose response_urls last 30 minutes of the test clock."""
    with SlackStandin(monotonic=lambda: clock.now().timestamp()) as server:
        yield server


@pytest.fixture
def slack(services: Services, standin: SlackStandin) -> Iterator[SlackSender]:
    """The web process alone: commands are acknowledged once their job is committed, and
    the job waits for a worker (the test's `services.tick()`)."""
    seed_account(services, "acme", "Acme Corp")
    seed_account(services, "globex", "Globex")
    web = create_web_app(services, build_bolt_app(services))
    server = create_server(web, host="127.0.0.1", port=0, threads=2, asyncore_loop_timeout=0.05)
    thread = threading.Thread(target=serve_until_closed, args=(server,), daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.effective_port}"
        yield SlackSender(base_url, SIGNING_SECRET, response_url_factory=standin.new_response_url)
    finally:
        stop_server(server, thread)


def cancel(slack: SlackSender, standin: SlackStandin, account: str) -> str:
    """`/churn cancel <account> …` typed by ASKER; returns the command's response_url."""
    url = standin.new_response_url(ASKER, "C0GENERAL")
    answer = slack.slash_command(f"cancel {account} budget cut", user_id=ASKER, response_url=url)
    assert answer.status == 200 and "Opening a case" in answer.text
    return url


def worker_runs(services: Services) -> None:
    """A worker comes back: the waiting jobs run and what they said is delivered."""
    services.tick()
    services.deliver()


def root_link(services: Services, name: str) -> str:
    with services.db.read() as session:
        for case in session.scalars(select(Case)):
            root = session.get(OutboxMessage, case.root_message_id)
            if root is not None and name in json.dumps(root.payload):
                assert root.permalink
                return root.permalink
    raise AssertionError(f"no case thread for {name}")


def dms_about(standin: SlackStandin, words: str) -> list[str]:
    """The texts of the DMs to ASKER that mention `words`."""
    posts = standin.calls("chat.postMessage")
    return [c.args["text"] for c in posts if c.args["channel"] == ASKER and words in c.args["text"]]


def account_id(services: Services, external_id: str) -> int:
    with services.db.read() as session:
        account = accounts_store.by_external_id(session, external_id)
        assert account is not None
        return account.id


def answer_rows(services: Services) -> list[OutboxMessage]:
    with services.db.read() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.method == RESPOND)))


def test_an_answer_whose_job_ran_31_minutes_late_comes_as_a_dm_with_the_thread_link(
    slack: SlackSender, standin: SlackStandin, services: Services, clock: FakeClock
) -> None:
    url = cancel(slack, standin, "acme")
    clock.advance(timedelta(minutes=31))
    worker_runs(services)

    (dm,) = dms_about(standin, "Opened case #")
    assert "Acme Corp" in dm and root_link(services, "Acme Corp") in dm
    assert DM_LINE in dm and "30 minutes" in dm
    assert standin.responses(url) == [] and standin.refused_responses(url) == 0, (
        "nothing is POSTed to a response_url Slack no longer takes"
    )
    (row,) = answer_rows(services)
    assert row.state == "superseded"
    assert "expired" in (row.last_error or "") and f"<@{ASKER}> as a DM" in (row.last_error or "")
    assert database_state(services.db, services.policy).problems == []


def test_an_answer_slack_refuses_with_404_comes_as_a_dm(
    slack: SlackSender, standin: SlackStandin, services: Services
) -> None:
    url = cancel(slack, standin, "acme")
    standin.forget_response_url(url)  # Slack answers 404 for it, well within 30 minutes
    worker_runs(services)

    assert standin.refused_responses(url) == 1 and standin.responses(url) == []
    (dm,) = dms_about(standin, "Opened case #")
    assert root_link(services, "Acme Corp") in dm
    assert DM_LINE in dm and "404" in dm
    (row,) = answer_rows(services)
    assert row.state == "superseded" and "answered 404" in (row.last_error or "")
    assert database_state(services.db, services.policy).problems == []


def test_after_an_outage_a_fresh_answer_still_goes_on_its_response_url(
    slack: SlackSender, standin: SlackStandin, services: Services, clock: FakeClock
) -> None:
    """Two commands wait for a worker: the one typed 31 minutes ago is answered by DM, the
    one typed a minute ago where it was typed (replacing its "Opening…"), not by DM."""
    old = cancel(slack, standin, "acme")
    clock.advance(timedelta(minutes=30))
    fresh = cancel(slack, standin, "globex")
    clock.advance(timedelta(minutes=1))
    worker_runs(services)

    (answer,) = standin.responses(fresh)
    assert "Opened case #" in answer["text"] and root_link(services, "Globex") in answer["text"]
    assert answer["replace_original"] is True
    assert dms_about(standin, "Globex") == [] and len(dms_about(standin, "Acme Corp")) == 1
    assert standin.responses(old) == [] and standin.refused_responses(old) == 0
    states = sorted(row.state for row in answer_rows(services))
    assert states == ["sent", "superseded"]


def test_a_new_case_modal_submitted_31_minutes_after_the_command_is_answered_by_dm(
    slack: SlackSender, standin: SlackStandin, services: Services, clock: FakeClock
) -> None:
    """The modal carries when Slack issued the command's response_url (its metadata)."""
    url = standin.new_response_url(ASKER, "C0GENERAL")
    assert slack.slash_command("cancel", user_id=ASKER, response_url=url).status == 200
    (opened,) = standin.wait_for_calls("views.open")
    clock.advance(timedelta(minutes=31))
    acme = {"value": str(account_id(services, "acme"))}
    values = {
        "account": {"account": {"type": "external_select", "selected_option": acme}},
        "kind": {"kind": {"type": "static_select", "selected_option": {"value": "downgrade"}}},
        "reason": {"reason": "moving to the basic plan"},
    }
    metadata = opened.args["view"]["private_metadata"]
    submitted = slack.view_submission("new_case", values, user_id=ASKER, private_metadata=metadata)
    assert slack.interactive(submitted).status == 200
    worker_runs(services)

    (dm,) = dms_about(standin, "Opened case #")
    assert root_link(services, "Acme Corp") in dm and DM_LINE in dm
    assert standin.responses(url) == [] and standin.refused_responses(url) == 0


def test_a_follow_up_that_only_brings_the_link_is_dropped_once_the_url_expired(
    slack: SlackSender, standin: SlackStandin, services: Services, clock: FakeClock
) -> None:
    """The answer went on time without the link (the cases channel refused the thread); the
    link would follow on the response_url, but the thread is posted after the URL's 30
    minutes: the follow-up is dropped, neither POSTed nor sent as a DM."""
    url = cancel(slack, standin, "acme")
    standin.archive_channel("C0CASES")
    clock.advance(timedelta(minutes=29))
    worker_runs(services)
    (first,) = standin.responses(url)
    assert "Opened case #" in first["text"] and "could not be posted" in first["text"]

    clock.advance(timedelta(minutes=2))
    standin.archive_channel("C0CASES", archived=False)
    assert services.deliverer.retry_channel("C0CASES")
    services.deliver()
    services.deliver()

    root_link(services, "Acme Corp")  # the thread is posted now
    assert standin.responses(url) == [first] and standin.refused_responses(url) == 0
    assert dms_about(standin, "Opened case #") == []
    follow_up = [row for row in answer_rows(services) if row.relation == "after"]
    assert [(row.state, "expired" in (row.last_error or "")) for row in follow_up] == [
        ("superseded", True)
    ]


def test_the_apology_for_a_case_that_could_not_be_opened_comes_as_a_dm_when_late(
    standin: SlackStandin, services: Services, clock: FakeClock
) -> None:
    """The job gave up (bot/signals/jobs.py, `open_give_up`) after the URL's 30 minutes."""
    services.jobs.handlers[JobKind.OPEN_CASE] = _broken
    url = standin.new_response_url(ASKER, "C0GENERAL")
    issued = clock.now()
    signal = Signal("cancellation", "/churn", ASKER, respond_url=url, respond_issued=issued)
    queue_open(services.jobs, seed_account(services, "acme", "Acme Corp"), signal)
    clock.advance(timedelta(minutes=25))  # the worker comes back
    while services.jobs.run_once().failed == 0:
        clock.advance(timedelta(minutes=1))
    assert clock.now() - issued > timedelta(minutes=30)
    services.deliver()

    (dm,) = dms_about(standin, "could not be opened")
    assert DM_LINE in dm
    assert standin.responses(url) == [] and standin.refused_responses(url) == 0


def _broken(job: Claimed, done: Done) -> None:
    raise ValueError("broken")
