"""Main-contact turnover end to end: /churn, the modal, the checklist, the root's progress,
the sales lead and the webhook's answers-needed prompt, over HTTP with the Slack stand-in."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Case, CaseEvent, PlanStep, Turnover
from tests.conftest import RunningApp, seed_account
from tests.conftest import eventually as _eventually
from tests.signals.test_signals_webhook import send, signal


def eventually(check: Any) -> Any:
    """Bolt finishes after the ack; a busy machine may need more than the usual 5 s."""
    return _eventually(check, timeout=30)


ANSWERS = ("learned_timing", "coverage", "destination", "role_fate", "replacement")


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    seed_account(running_app.services, "NW-1", "Northwind", segment="enterprise")
    return running_app


def rows(app: RunningApp, model: Any) -> list[Any]:
    with app.services.db.read() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def open_modal(app: RunningApp, text: str = "risk NW-1 contact_left", user: str = "U0CSM") -> dict:
    count = len(app.standin.calls("views.open"))
    assert app.slack.slash_command(text, user_id=user).status == 200
    return app.standin.wait_for_calls("views.open", count + 1, timeout=30)[-1].args["view"]


def values(view: dict, **answers: str) -> dict:
    """The view's state as Slack sends it: initial values, overridden by `answers`."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        name, element = block["block_id"], block["element"]
        if element["type"] == "radio_buttons":
            chosen = answers.get(name) or (element.get("initial_option") or {}).get("value")
            state[name] = {name: {"type": "radio_buttons", "selected_option": {"value": chosen}}}
        else:
            state[name] = {name: answers.get(name, element.get("initial_value") or "")}
    return state


def submit(app: RunningApp, view: dict, user: str = "U0CSM", view_id: str = "V1", **answers: str):  # type: ignore[no-untyped-def]
    payload = app.slack.view_submission(
        view["callback_id"],
        values(view, **answers),
        user_id=user,
        private_metadata=view["private_metadata"],
        view_id=view_id,
    )
    return app.slack.interactive(payload)


def settle(app: RunningApp, count: int, model: Any = Turnover) -> None:
    eventually(lambda: len(rows(app, model)) >= count)
    app.tick()


def root(app: RunningApp) -> dict:
    return next(m for m in app.standin.messages("C0CASES") if not m.get("thread_ts"))


def root_text(app: RunningApp) -> str:
    return json.dumps(root(app)["blocks"])


def checklist(app: RunningApp, contact: str) -> dict:
    found = [m for m in app.standin.messages("C0CASES") if f"Action plan: {contact}" in m["text"]]
    return found[-1]


def steps_in(message: dict) -> list[tuple[int, str, bool]]:
    return [
        (
            int(b["block_id"].removeprefix("step_")),
            b["text"]["text"],
            "initial_options" in b["accessory"],
        )
        for b in message["blocks"]
        if b.get("accessory", {}).get("type") == "checkboxes"
    ]


def tick(app: RunningApp, step_id: int, user: str = "U0CSM", done: bool = True) -> None:
    selected = [{"value": str(step_id)}] if done else []
    payload = app.slack.block_action(
        "turnover_step",
        user_id=user,
        channel_id="C0CASES",
        message_ts="1.0",
        block_id=f"step_{step_id}",
        action_type="checkboxes",
        action={"selected_options": selected},
    )
    assert app.slack.interactive(payload).status == 200


CHAMPION_GONE = {
    "contact_name": "Dana Smith",
    "learned_timing": "after_left",
    "coverage": "no_other_contact",
    "destination": "another_company",
    "new_company": "Globex",
    "role_fate": "replaced",
    "replacement": "unknown",
}


def test_contact_left_modal_opens_a_high_risk_case_with_plan_and_sales_lead(
    app: RunningApp,
) -> None:
    view = open_modal(app)
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert {"contact_name", "other_contact_name", "new_company", "competitor"} <= set(inputs)
    options = {name: [o["value"] for o in inputs[name]["options"]] for name in ANSWERS}
    assert options == {
        "learned_timing": ["before_left", "after_left"],
        "coverage": ["other_contact", "no_other_contact"],
        "destination": ["another_company", "another_role", "unknown"],
        "role_fate": ["replaced", "merged", "leaving_space"],
        "replacement": ["unknown", "internal", "external_new", "external_competitor"],
    }
    assert rows(app, Case) == []  # nothing opens until the modal is saved
    assert submit(app, view, **CHAMPION_GONE).status == 200
    settle(app, 1)
    [case] = rows(app, Case)
    assert (case.kind, case.risk, case.track) == ("contact_left", "high", "churn")
    texts = [text for _, text, _ in steps_in(checklist(app, "Dana Smith"))]
    assert any("Reach Dana Smith's boss, or HR / the main number" in t for t in texts)
    assert any("Agree an interim plan until the replacement is hired" in t for t in texts)
    assert any("Send the lead to sales" in t for t in texts)
    [lead] = app.standin.messages("C0SALES")
    assert "Dana Smith" in lead["text"] and "Globex" in lead["text"] and "Northwind" in lead["text"]
    assert "<@U0CSM>" in lead["text"] and "https://" in lead["text"]
    thread = [m["text"] for m in app.standin.messages("C0CASES") if m.get("thread_ts")]
    assert any("Lead sent to sales (<#C0SALES>): Dana Smith at Globex." in t for t in thread)
    assert not any("Capture what is known" in t for t in texts)  # nobody remains to ask
    assert "Dana Smith: plan 0% complete" in root_text(app)
    thread = [m["text"] for m in app.standin.messages("C0CASES") if m.get("thread_ts")]
    said = next(i for i, t in enumerate(thread) if "left; action plan below" in t)
    plan = next(i for i, t in enumerate(thread) if "Action plan: Dana Smith" in t)
    assert said < plan, "the line that says 'below' comes before the plan"


def test_ticks_move_the_percentage_in_place_and_the_last_records_time_at_risk(
    app: RunningApp,
) -> None:
    submit(app, open_modal(app), **CHAMPION_GONE)
    settle(app, 1)
    steps = steps_in(checklist(app, "Dana Smith"))
    root_ts = root(app)["ts"]
    tick(app, steps[0][0])
    eventually(lambda: any(s.done for s in rows(app, PlanStep)))
    app.tick()
    assert f"plan {100 // len(steps)}% complete" in root_text(app)
    assert root(app)["ts"] == root_ts  # edited in place, not reposted
    assert steps_in(checklist(app, "Dana Smith"))[0][2] is True
    app.services.clock.advance(timedelta(days=3))
    for step_id, _, _ in steps[1:]:
        tick(app, step_id, user="U0MGR")  # a manager may tick too
    eventually(lambda: all(s.done for s in rows(app, PlanStep)))
    app.tick()
    [turnover] = rows(app, Turnover)
    assert turnover.time_at_risk_seconds == 3 * 86400
    assert "plan 100% complete" in root_text(app)
    lines = [m["text"] for m in app.standin.messages("C0CASES") if m.get("thread_ts")]
    assert any("Time at risk for Dana Smith: 3 days (plan complete)" in t for t in lines)
    assert not any("Plan step done" in t for t in lines)  # the checklist shows ticks
    assert "<@U0MGR>: Plan step done" in root_text(app)  # the root names the latest one
    with app.services.db.read() as session:
        ticks = session.scalars(select(CaseEvent.text).where(CaseEvent.type == "plan_step"))
        assert sum("Plan step done" in t for t in ticks) == len(steps)


def test_a_stranger_cannot_tick_and_nothing_changes(app: RunningApp) -> None:
    submit(app, open_modal(app), **CHAMPION_GONE)
    settle(app, 1)
    step_id = steps_in(checklist(app, "Dana Smith"))[0][0]
    tick(app, step_id, user="U0STRANGER")
    refusal = app.standin.wait_for_responses(2, timeout=30)[-1]  # after the case confirmation
    assert refusal["response_type"] == "ephemeral" and "Only the case's owner" in refusal["text"]
    assert not any(s.done for s in rows(app, PlanStep))


def test_internal_move_is_medium_risk_light_plan_no_lead_and_update_keeps_done_steps(
    app: RunningApp,
) -> None:
    internal = {
        "contact_name": "Lee",
        "learned_timing": "before_left",
        "coverage": "other_contact",
        "other_contact_name": "Sam",
        "destination": "another_role",
        "role_fate": "replaced",
        "replacement": "internal",
    }
    submit(app, open_modal(app), **internal)
    settle(app, 1)
    [case] = rows(app, Case)
    assert case.risk == "medium"
    assert app.standin.messages("C0SALES") == []
    texts = [t for _, t, _ in steps_in(checklist(app, "Lee"))]
    assert any("Light onboarding" in t for t in texts)
    assert not any("Full onboarding" in t or "boss, or HR" in t for t in texts)
    first = steps_in(checklist(app, "Lee"))[0][0]
    tick(app, first)
    eventually(lambda: any(s.done for s in rows(app, PlanStep)))
    app.tick()
    turnover_id = rows(app, Turnover)[0].id
    press = app.slack.block_action(
        "turnover_update", str(turnover_id), user_id="U0CSM", channel_id="C0CASES", message_ts="1.0"
    )
    app.slack.interactive(press)
    view = app.standin.wait_for_calls("views.open", 2, timeout=30)[-1].args["view"]
    assert values(view)["contact_name"]["contact_name"] == "Lee"  # pre-filled
    submit(app, view, view_id="V2", replacement="external_competitor", competitor="Initech")
    eventually(lambda: any("Initech" in s.text for s in rows(app, PlanStep)))
    app.tick()
    after = steps_in(checklist(app, "Lee"))
    assert (first, True) in [(i, done) for i, _, done in after]
    assert any("tailored against Initech" in t for _, t, _ in after)
    assert len(rows(app, Turnover)) == 1


def test_another_company_lead_is_posted_once_and_edited_when_the_company_changes(
    app: RunningApp,
) -> None:
    submit(app, open_modal(app), **CHAMPION_GONE)
    settle(app, 1)
    turnover_id = rows(app, Turnover)[0].id
    press = app.slack.block_action(
        "turnover_update", str(turnover_id), user_id="U0MGR", channel_id="C0CASES", message_ts="1.0"
    )
    app.slack.interactive(press)
    view = app.standin.wait_for_calls("views.open", 2, timeout=30)[-1].args["view"]
    submit(app, view, view_id="V2", new_company="Initech")
    eventually(lambda: rows(app, Turnover)[0].new_company == "Initech")
    app.tick()
    [lead] = app.standin.messages("C0SALES")
    assert "Initech" in lead["text"] and "Globex" not in lead["text"]


def test_several_contacts_are_several_plans_on_the_same_case(app: RunningApp) -> None:
    submit(app, open_modal(app), **CHAMPION_GONE)
    settle(app, 1)
    second = CHAMPION_GONE | {"contact_name": "Lee", "destination": "unknown"}
    submit(app, open_modal(app), view_id="V2", **second)
    settle(app, 2)
    assert len(rows(app, Case)) == 1
    text = root_text(app)
    assert "Dana Smith: plan 0% complete" in text and "Lee: plan 0% complete" in text
    assert len(app.standin.messages("C0SALES")) == 1


def test_webhook_contact_left_asks_the_owner_for_answers(app: RunningApp) -> None:
    body = signal(account="NW-1", kind="contact_left", summary="Champion left", external_id="e1")
    assert send(app, body).status == 201
    app.tick()
    [case] = rows(app, Case)
    assert "answers needed" in root_text(app)
    prompt = [m for m in app.standin.messages("C0CASES") if "answers needed" in m["text"]][-1]
    assert f"<@{case.owner}>" in prompt["text"]
    assert "Fill in turnover details" in json.dumps(prompt["blocks"])
    press = app.slack.block_action(
        "turnover_fill", str(case.id), user_id=case.owner, channel_id="C0CASES", message_ts="1.0"
    )
    app.slack.interactive(press)
    view = app.standin.wait_for_calls("views.open", 1, timeout=30)[-1].args["view"]
    submit(app, view, user=case.owner or "", **CHAMPION_GONE)
    settle(app, 1)
    assert "Dana Smith: plan 0% complete" in root_text(app)
    assert len(rows(app, Case)) == 1


def test_kind_picker_leads_to_the_turnover_modal_and_bad_answers_are_inline(
    app: RunningApp,
) -> None:
    account_id = seed_account(app.services, "NW-1", "Northwind")
    picked = {
        "account": {
            "account": {"type": "external_select", "selected_option": {"value": str(account_id)}}
        },
        "kind": {"kind": {"type": "static_select", "selected_option": {"value": "contact_left"}}},
        "reason": {"reason": "heard at the QBR"},
    }
    payload = app.slack.view_submission("new_case", picked, user_id="U0CSM", view_id="V9")
    answer = app.slack.interactive(payload).json()
    assert answer["response_action"] == "update"
    view = answer["view"]
    assert view["callback_id"] == "turnover_modal" and "heard at the QBR" in json.dumps(view)
    bad = submit(app, view, coverage="other_contact", **{"other_contact_name": ""})
    assert bad.json()["response_action"] == "errors"
    assert set(bad.json()["errors"]) >= {"contact_name", "learned_timing", "other_contact_name"}
    assert rows(app, Case) == []


def test_closing_the_case_stops_the_time_at_risk(app: RunningApp) -> None:
    submit(app, open_modal(app), **CHAMPION_GONE)
    settle(app, 1)
    [case] = rows(app, Case)
    app.services.clock.advance(timedelta(hours=5))
    app.services.cases.close(case.id, "U0CSM", "churned")
    [turnover] = rows(app, Turnover)
    assert turnover.time_at_risk_seconds == 5 * 3600
    assert "case closed" in " ".join(e.text for e in rows(app, CaseEvent))


def test_a_step_is_assigned_from_the_assign_modal(app: RunningApp) -> None:
    submit(app, open_modal(app), **CHAMPION_GONE)
    settle(app, 1)
    turnover_id = rows(app, Turnover)[0].id
    press = app.slack.block_action(
        "turnover_assign", str(turnover_id), user_id="U0CSM", channel_id="C0CASES", message_ts="1"
    )
    app.slack.interactive(press)
    view = app.standin.wait_for_calls("views.open", 2, timeout=30)[-1].args["view"]
    step_id = int(view["blocks"][0]["element"]["options"][1]["value"])
    chosen = {
        "step": {"step": {"type": "static_select", "selected_option": {"value": str(step_id)}}},
        "assignee": {"assignee": {"type": "users_select", "selected_user": "U0HELPER"}},
    }
    payload = app.slack.view_submission(
        view["callback_id"], chosen, user_id="U0CSM", private_metadata=view["private_metadata"]
    )
    assert app.slack.interactive(payload).status == 200
    eventually(lambda: any(s.assignee == "U0HELPER" for s in rows(app, PlanStep)))
    app.tick()
    assigned = [t for i, t, _ in steps_in(checklist(app, "Dana Smith")) if i == step_id]
    assert assigned and "<@U0HELPER>" in assigned[0]
    lines = [m["text"] for m in app.standin.messages("C0CASES") if m.get("thread_ts")]
    assert not any("Plan step assigned" in t for t in lines)  # the checklist shows it
    assert "Plan step assigned to <@U0HELPER>" in root_text(app)
    tick(app, step_id, user="U0HELPER")  # the assignee may tick their step
    eventually(lambda: any(s.done for s in rows(app, PlanStep)))


def test_opening_the_case_from_the_modal_does_not_acknowledge_it(app: RunningApp) -> None:
    """Acknowledging is the owner's or a manager's first act after the case opened
    (docs/reports.md, *Stage times*): the modal that opens the case is the opening, and a
    admin ticking a step is nobody's acknowledgement either."""
    submit(app, open_modal(app), **CHAMPION_GONE)
    settle(app, 1)
    [case] = rows(app, Case)
    assert case.owner == "U0CSM" and case.acknowledged_at is None
    assert case.last_action_at is None  # the escalation ladder still runs
    app.services.clock.advance(timedelta(minutes=5))
    step_id = steps_in(checklist(app, "Dana Smith"))[0][0]
    tick(app, step_id, user="U0ADMIN")  # an admin, not the owner nor a manager
    eventually(lambda: any(s.done for s in rows(app, PlanStep)))
    [case] = rows(app, Case)
    assert case.acknowledged_at is None and case.last_action_at is None
    app.services.clock.advance(timedelta(minutes=5))
    tick(app, step_id, done=False)  # the owner's first act
    eventually(lambda: not any(s.done for s in rows(app, PlanStep)))
    [case] = rows(app, Case)
    assert case.acknowledged_at == case.created_at + timedelta(minutes=10)


def test_a_forged_modal_and_a_checkbox_outside_a_step_change_nothing(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Metadata that is not a turnover modal's is refused inline on the contact's name
    before anything is saved; a checkbox outside a step's block is logged and ignored."""
    view = open_modal(app)
    answer = submit(app, dict(view, private_metadata="not json"), **CHAMPION_GONE)
    assert answer.json()["response_action"] == "errors"
    assert "not turnover modal metadata" in answer.json()["errors"]["contact_name"]
    assert rows(app, Turnover) == [] and rows(app, Case) == []
    payload = app.slack.block_action(
        "turnover_step",
        user_id="U0CSM",
        channel_id="C0CASES",
        message_ts="1.0",
        block_id="elsewhere",
        action_type="checkboxes",
        action={"selected_options": []},
    )
    assert app.slack.interactive(payload).status == 200
    eventually(lambda: "turnover step checkbox without a step block id" in caplog.text)
    assert app.standin.responses() == []  # no refusal, no apology
