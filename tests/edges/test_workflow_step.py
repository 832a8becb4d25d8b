"""The Workflow Builder step "Open churn case" over HTTP: Slack's `function_executed` event
in, a case and its thread at the stand-in, the step completed with the case id and the
thread's permalink; bad inputs end it through functions.completeError."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot import outbox
from bot.signals.workflow import parse_inputs
from storage.models import Case, OutboxMessage
from tests.conftest import RunningApp, eventually, seed_account
from tests.slack_events import delivered

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
STEP = "open_churn_case_step"


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    running_app.standin.declare_steps(yaml.safe_load(MANIFEST.read_text(encoding="utf-8")))
    seed_account(running_app.services, "acme", "Acme Corp")
    seed_account(running_app.services, "acme-eu", "Acme Europe")
    return running_app


def run_step(app: RunningApp, **inputs: object) -> str:
    """A workflow reaches the step; Slack tells Savedesk. Returns the execution id."""
    event = app.standin.run_step(STEP, inputs)
    assert delivered(app.slack, event).status == 200
    return str(event["function_execution_id"])


def cases(app: RunningApp) -> list[Case]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def test_the_step_opens_a_case_and_returns_its_thread(app: RunningApp) -> None:
    execution = run_step(
        app, account="acme", kind="cancellation", stated_reason="budget cut", arr=42000
    )
    eventually(lambda: cases(app))
    app.tick()
    done = eventually(lambda: app.standin.execution(execution).state == "completed" or app.tick())
    assert done
    case = cases(app)[0]
    assert (case.kind, case.stated_reason, case.arr_at_risk, case.source) == (
        "cancellation",
        "budget cut",
        42000,
        "workflow",
    )
    with app.services.db.read() as session:
        root = session.get(OutboxMessage, case.root_message_id)
        assert root is not None and root.permalink
        permalink = root.permalink
    outputs = app.standin.execution(execution).outputs
    assert outputs == {"case_id": str(case.id), "thread_permalink": permalink}

    again = run_step(app, account="Acme Corp", kind="non_renewal", stated_reason="moving")
    eventually(lambda: app.standin.execution(again).state == "completed" or app.tick())
    assert len(cases(app)) == 1  # the open case of the account: added to it
    assert app.standin.execution(again).outputs["case_id"] == str(case.id)


@pytest.mark.parametrize(
    ("inputs", "said"),
    [
        ({"account": "acme", "kind": "refund", "stated_reason": "x"}, "kind: 'refund'"),
        ({"account": "Acme", "kind": "cancellation", "stated_reason": "x"}, "could be"),
        ({"account": "acme", "kind": "cancellation", "stated_reason": "x", "arr": -5}, "arr"),
    ],
)
def test_bad_inputs_end_the_step_with_an_error(app: RunningApp, inputs: dict, said: str) -> None:
    execution = run_step(app, **inputs)
    eventually(lambda: app.standin.execution(execution).state == "failed")
    assert said in (app.standin.execution(execution).error or "")
    assert cases(app) == []


def test_a_thread_slack_refuses_for_good_ends_the_step_with_an_error(app: RunningApp) -> None:
    """The case is kept; the workflow hears that its thread could not be posted."""
    app.standin.fail_next("chat.postMessage", error="msg_too_long", times=2, channel="C0CASES")
    execution = run_step(app, account="acme", kind="downgrade", stated_reason="seats")
    eventually(lambda: cases(app))
    eventually(lambda: app.standin.execution(execution).state != "running" or app.tick())
    ended = app.standin.execution(execution)
    assert ended.state == "failed" and "could not be posted" in (ended.error or "")
    assert len(cases(app)) == 1


class Stopped(BaseException):
    """The process stopping mid-way: no Exception, so nothing that handles errors takes it
    for one; not a KeyboardInterrupt, so a real Ctrl-C during the test is not taken for it."""


def test_the_same_execution_after_a_stop_between_case_and_end_still_ends(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process stopped after the case was opened and before the step's end was queued:
    Slack delivers the execution again, and this time it ends (one case)."""
    event = app.standin.run_step(
        STEP, {"account": "acme", "kind": "downgrade", "stated_reason": "x"}
    )
    execution = str(event["function_execution_id"])
    inputs = parse_inputs(execution, event["inputs"], None)

    def stopped(*_args: object, **_kwargs: object) -> None:
        raise Stopped

    monkeypatch.setattr(outbox, "step_completed", stopped)
    with pytest.raises(Stopped):
        app.services.workflow.run(inputs)
    monkeypatch.undo()
    assert len(cases(app)) == 1
    app.services.workflow.run(inputs)  # Slack's retry
    app.services.workflow.run(inputs)  # and another: one end queued
    eventually(lambda: app.standin.execution(execution).state != "running" or app.tick())
    assert app.standin.execution(execution).state == "completed"
    assert len(cases(app)) == 1 and len(app.standin.calls("functions.completeSuccess")) == 1
