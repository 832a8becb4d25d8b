"""The cancellation survey end to end: Mark churned over HTTP, the survey button in the DM
and the thread, the modal at the Slack stand-in, submission with inline errors, the answers
in the thread, the reason owner told (and nobody else), edits, follow-ups, Reopen."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.policy import Policy, parse_policy
from slack_edge.case_messages import CaseAction
from storage import survey as survey_store
from storage.models import Case, CaseEvent, ScheduledStep, SurveyAnswer
from tests.conftest import TEST_POLICY, RunningApp, eventually, seed_account

SURVEY_POLICY = (
    TEST_POLICY
    + """
[escalation]
acknowledge_within = "1h"
escalate_after = "4h"
repeat_every = "1d"

[reports]
reason_digest = "1st 09:00"

[[survey.reasons]]
key = "missing_functionality"
label = "Missing functionality"
hint = "A capability they needed that we do not have"
owner = "C0PRODUCT"
[[survey.reasons]]
key = "price_value"
label = "Price too high for the value"
owner = "C0PRICING"
[[survey.reasons]]
key = "champion_left"
label = "Champion left, nobody took over"
owner = "U0CSLEAD"
"""
)


@pytest.fixture
def policy() -> Policy:
    return parse_policy(SURVEY_POLICY, "survey.toml")


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    seed_account(running_app.services, "acme", "Acme Corp")
    return running_app


def open_case(app: RunningApp, reason: str = "it did not do what we wanted") -> int:
    response = app.slack.slash_command(f"cancel acme {reason}", user_id="U0CSM")
    assert response.status == 200
    case_id = eventually(lambda: _open_case_id(app))
    app.tick()
    return case_id


def _open_case_id(app: RunningApp) -> int | None:
    with app.services.db.read() as session:
        stmt = select(Case.id).where(Case.status.in_(("new", "acknowledged", "working")))
        return session.scalar(stmt.order_by(Case.id.desc()))


def click(app: RunningApp, action: str, value: int, user: str, channel: str = "C0CASES") -> None:
    payload = app.slack.block_action(
        action, str(value), user_id=user, channel_id=channel, message_ts="1.0"
    )
    assert app.slack.interactive(payload).status == 200


def surveys(app: RunningApp) -> list[SurveyAnswer]:
    with app.services.db.read() as session:
        return list(session.scalars(select(SurveyAnswer).order_by(SurveyAnswer.id)))


def churn(app: RunningApp, case_id: int, user: str = "U0AE") -> SurveyAnswer:
    before = len(surveys(app))
    click(app, CaseAction.CHURNED.value, case_id, user)
    eventually(lambda: len(surveys(app)) > before)
    app.tick()
    return surveys(app)[-1]


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["text"]["text"], e["action_id"])
        for b in message.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def open_modal(app: RunningApp, action: str, answer_id: int, user: str) -> dict[str, Any]:
    before = len(app.standin.calls("views.open"))
    click(app, action, answer_id, user, channel="D0AE")
    call = app.standin.wait_for_calls("views.open", before + 1)[-1]
    return (
        call.args["view"] if isinstance(call.args["view"], dict) else json.loads(call.args["view"])
    )


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def submit(app: RunningApp, view: dict[str, Any], user: str, **values: Any) -> dict[str, Any]:
    state = {
        "survey_stated_reason": {"survey_stated_reason": values.get("stated", "too expensive")},
        "survey_root_cause": {"survey_root_cause": _selected("static_select", values.get("cause"))},
        "survey_controllable": {
            "survey_controllable": _selected("radio_buttons", values.get("controllable", "yes"))
        },
        "survey_competitor": {
            "survey_competitor": _selected("external_select", values.get("competitor"))
        },
        "survey_tried": {"survey_tried": values.get("tried", "")},
        "survey_would_come_back": {
            "survey_would_come_back": _selected("radio_buttons", values.get("back", "maybe"))
        },
        "survey_notes": {"survey_notes": values.get("notes", "")},
    }
    payload = app.slack.view_submission(
        "survey_submit", state, user_id=user, private_metadata=view["private_metadata"]
    )
    response = app.slack.interactive(payload)
    assert response.status == 200
    return response.json() if response.body else {}


def _selected(kind: str, value: str | None) -> dict[str, Any]:
    option = {"value": value, "text": {"type": "plain_text", "text": value}} if value else None
    return {"type": kind, "selected_option": option}


def texts(app: RunningApp, channel: str) -> list[str]:
    return [json.dumps(m) for m in app.standin.messages(channel)]


def test_churn_asks_owner_answers_go_to_the_thread_and_only_the_owning_function(
    app: RunningApp,
) -> None:
    case_id = open_case(app)
    answer = churn(app, case_id)
    assert (answer.status, answer.churn_number, answer.asked_to) == ("asked", 1, "U0AE")
    ask_dm = next(m for m in app.standin.messages("D0AE") if "cancellation survey" in m["text"])
    assert ("Fill in the cancellation survey", "survey_fill") in buttons(ask_dm)
    thread = [m for m in app.standin.messages("C0CASES") if m.get("thread_ts")]
    assert any(("Fill in the cancellation survey", "survey_fill") in buttons(m) for m in thread)

    view = open_modal(app, "survey_fill", answer.id, "U0AE")
    options = block(view, "survey_root_cause")["element"]["options"]
    assert [(o["value"], o["text"]["text"]) for o in options] == [
        ("missing_functionality", "Missing functionality"),
        ("price_value", "Price too high for the value"),
        ("champion_left", "Champion left, nobody took over"),
    ]
    assert options[0]["description"]["text"] == "A capability they needed that we do not have"
    assert "description" not in options[1]
    competitor = block(view, "survey_competitor")
    assert competitor["optional"] and competitor["element"]["type"] == "external_select"
    assert competitor["element"]["placeholder"]["text"] == "Type a competitor's name"
    stated = block(view, "survey_stated_reason")["element"]["initial_value"]
    assert stated == "it did not do what we wanted"

    errors = submit(app, view, "U0AE", cause=None, controllable=None)
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"survey_root_cause", "survey_controllable"}
    assert surveys(app)[0].status == "asked"  # nothing saved

    assert submit(app, view, "U0AE", cause="missing_functionality", competitor="Rivalsoft ") == {}
    app.tick()
    saved = surveys(app)[0]
    assert (saved.status, saved.root_cause, saved.competitor_key) == (
        "answered",
        "missing_functionality",
        "rivalsoft",
    )
    posted = next(
        m
        for m in app.standin.messages("C0CASES")
        if "filled in the cancellation survey." in m["text"]
    )  # the answers post; the ask above it now says "…survey; the answers are below"
    fields = [
        f["text"] for b in posted["blocks"] if b["type"] == "section" for f in b.get("fields", [])
    ]
    assert fields[:3] == [
        "*Root cause*\nMissing functionality",
        "*Stated reason*\n“too expensive”",
        "*Competitor*\nRivalsoft",
    ]
    root = app.standin.messages("C0CASES")[0]
    assert "*Root cause*\\nMissing functionality" in json.dumps(root["blocks"])
    assert "*Competitor*\\nRivalsoft" in json.dumps(root["blocks"])
    notice = app.standin.messages("C0PRODUCT")
    assert len(notice) == 1 and "Acme Corp" in notice[0]["text"] and "$60,000" in notice[0]["text"]
    assert "Controllable:* yes" in notice[0]["text"] and "Rivalsoft" in notice[0]["text"]
    assert "http" in notice[0]["text"]  # the link to the thread
    assert app.standin.messages("C0PRICING") == [] and app.standin.messages("D0CSLEAD") == []


def test_competitor_type_ahead_counts_spellings_as_one(app: RunningApp) -> None:
    case_id = open_case(app)
    answer = churn(app, case_id)
    view = open_modal(app, "survey_fill", answer.id, "U0AE")
    submit(app, view, "U0AE", cause="price_value", competitor="Rivalsoft")
    payload = {
        "type": "block_suggestion",
        "action_id": "survey_competitor",
        "block_id": "survey_competitor",
        "value": "rivalsoft ",
        "user": {"id": "U0AE"},
        "team": {"id": "T0TEST"},
        "api_app_id": "A0SAVEDESK",
        "view": {
            "id": "V1",
            "callback_id": "survey_submit",
            "private_metadata": view["private_metadata"],
        },
    }
    response = app.slack.interactive(payload)
    assert [o["value"] for o in response.json()["options"]] == ["Rivalsoft"]


def test_unanswered_survey_is_followed_up_until_answered(app: RunningApp, clock: FakeClock) -> None:
    case_id = open_case(app)
    answer = churn(app, case_id)

    def reminders(channel: str = "D0AE") -> list[str]:
        return [m["text"] for m in app.standin.messages(channel) if "survey is still" in m["text"]]

    clock.advance(timedelta(minutes=59))
    app.tick()
    assert reminders() == []
    clock.advance(timedelta(minutes=2))  # acknowledge_within = 1h
    app.tick()
    assert len(reminders()) == 1 and reminders("D0MGR") == []
    clock.advance(timedelta(hours=3))  # escalate_after = 4h: the managers are brought in
    app.tick()
    assert len(reminders()) == 2 and len(reminders("D0MGR")) == 1
    assert "<@U0AE> <@U0MGR>" in reminders("C0CASES")[-1]
    clock.advance(timedelta(days=1))  # repeat_every = 1d
    app.tick()
    assert len(reminders()) == 3 and len(reminders("D0MGR")) == 2
    view = open_modal(app, "survey_fill", answer.id, "U0AE")
    submit(app, view, "U0AE", cause="price_value")
    app.tick()
    for dm in ("D0AE", "D0MGR"):  # every DM that asked is edited: no live Fill in button
        asks = [m for m in app.standin.messages(dm) if "survey_" in json.dumps(m["blocks"])]
        assert len(asks) == (4 if dm == "D0AE" else 2)
        for message in asks:
            assert "<@U0AE> filled in the cancellation survey" in message["text"]
            assert buttons(message) == [("Edit survey", "survey_edit")]  # owner, manager
    clock.advance(timedelta(days=3))
    app.tick()
    assert len(reminders()) == 0 and len(reminders("D0MGR")) == 0


def test_the_threads_ask_and_reminders_say_answered_once_answered(
    app: RunningApp, clock: FakeClock
) -> None:
    """The case thread's ask and reminders are edited like the DMs: no live Fill in
    button stays in the thread; Edit survey is on the answers post."""
    answer = churn(app, open_case(app))
    clock.advance(timedelta(hours=2))  # acknowledge_within = 1h: a reminder in the thread
    app.tick()
    submit(app, open_modal(app, "survey_fill", answer.id, "U0AE"), "U0AE", cause="price_value")
    app.tick()
    thread = [m for m in app.standin.messages("C0CASES") if "cancellation survey" in m["text"]]
    assert [buttons(m) for m in thread] == [[], [], [("Edit survey", "survey_edit")]]
    for retired in thread[:2]:
        assert retired["text"].endswith("filled in the cancellation survey; the answers are below.")


def test_reopen_and_churn_again_asks_once_more_never_twice(app: RunningApp) -> None:
    case_id = open_case(app)
    first = churn(app, case_id)
    click(app, CaseAction.REOPEN.value, case_id, "U0AE")
    eventually(lambda: surveys(app)[0].status == "withdrawn")
    second = churn(app, case_id)
    assert (second.churn_number, second.status) == (2, "asked")
    assert [s.status for s in surveys(app)] == ["withdrawn", "asked"]
    with app.services.db.session() as session:
        assert (
            survey_store.ask(session, case_id, now=app.services.clock.now(), asked_to="U0AE")
            is None
        )
    assert first.id != second.id


def test_edit_changes_what_is_counted_and_leaves_a_timeline_line(app: RunningApp) -> None:
    case_id = open_case(app)
    answer = churn(app, case_id)
    view = open_modal(app, "survey_fill", answer.id, "U0AE")
    submit(app, view, "U0AE", cause="price_value")
    app.tick()
    click(app, "survey_edit", answer.id, "U0CSM")  # neither owner nor manager
    refusal = "Only the case's owner, whoever was asked (or answered) or a manager can edit"
    eventually(lambda: any(refusal in r.get("text", "") for r in app.standin.responses()))
    edit_view = open_modal(app, "survey_edit", answer.id, "U0MGR")
    chosen = block(edit_view, "survey_root_cause")["element"]["initial_option"]["value"]
    assert chosen == "price_value"
    submit(app, edit_view, "U0MGR", cause="champion_left")
    app.tick()
    now = app.services.clock.now()
    with app.services.db.read() as session:
        totals = survey_store.cause_totals(
            session, now - timedelta(days=1), now + timedelta(days=1)
        )
        lines = list(
            session.scalars(select(CaseEvent.text).where(CaseEvent.type == "survey_edited"))
        )
    assert [(t.root_cause, t.count) for t in totals] == [("champion_left", 1)]
    assert lines == [
        ":pencil2: <@U0MGR> edited the cancellation survey: the root cause from "
        "*Price too high for the value* to *Champion left, nobody took over*."
    ]
    assert any("Champion left" in m["text"] for m in app.standin.messages("D0CSLEAD"))


def test_a_moved_on_customer_who_leaves_is_a_churn_with_a_survey(app: RunningApp) -> None:
    account_id = seed_account(app.services, "globex", "Globex", arr=None)
    opened = app.services.cases.open(account_id, Signal(kind="cancellation", source="test"))
    app.services.cases.close(opened.case_id, "U0MGR", "moved_on", "bankrupt")
    answer = churn(app, opened.case_id, user="U0MGR")
    assert (answer.case_id, answer.status) == (opened.case_id, "asked")


def test_monthly_digest_per_reason_owner(app: RunningApp, clock: FakeClock) -> None:
    case_id = open_case(app)
    answer = churn(app, case_id)
    view = open_modal(app, "survey_fill", answer.id, "U0AE")
    submit(app, view, "U0AE", cause="missing_functionality", competitor="Rivalsoft")
    app.tick()
    product_before = len(app.standin.messages("C0PRODUCT"))
    clock.set(datetime(2026, 2, 1, 14, 1, tzinfo=UTC))  # 09:01 in New York
    app.tick()
    app.tick()  # a second run sends nothing more
    digest = app.standin.messages("C0PRODUCT")[product_before:]
    assert len(digest) == 1
    body = json.dumps(digest[0]["blocks"])
    assert "Losses in January 2026" in body and "*1* lost, ARR $60,000" in body
    assert "|Acme Corp>" in body and "Rivalsoft (1)" in body  # linked to its thread
    pricing = app.standin.messages("C0PRICING")
    assert len(pricing) == 1 and "No losses" in json.dumps(pricing[0]["blocks"])
    assert len(app.standin.messages("D0CSLEAD")) == 1
    with app.services.db.read() as session:
        keys = session.scalars(
            select(ScheduledStep.key).where(ScheduledStep.kind == "survey_digest")
        )
        assert sorted(keys) == ["survey_digest:2026-02", "survey_digest:2026-03"]


def test_involuntary_churn_says_so_and_preselects_nothing(app: RunningApp) -> None:
    open_case(app)
    with app.services.db.read() as session:
        account_id = session.scalar(select(Case.account_id))
    why = "the subscription ended after a failed payment"
    case = app.services.cases.customer_left(account_id, involuntary=True, why=why)
    assert case is not None and case.status == "churned"
    app.tick()
    answer = surveys(app)[-1]
    assert (answer.involuntary, answer.stated_reason) == (True, None)
    view = open_modal(app, "survey_fill", answer.id, "U0AE")
    assert "Involuntary churn" in view["blocks"][0]["text"]["text"]
    for block_id in ("survey_root_cause", "survey_controllable", "survey_would_come_back"):
        assert "initial_option" not in block(view, block_id)["element"]
    assert block(view, "survey_stated_reason")["optional"] is True
    assert submit(app, view, "U0AE", stated="", cause="price_value", back="no") == {}
    assert surveys(app)[-1].status == "answered"


def test_a_moved_on_customer_whose_subscription_ends_is_churned(app: RunningApp) -> None:
    account_id = seed_account(app.services, "initech", "Initech")
    opened = app.services.cases.open(account_id, Signal(kind="cancellation", source="test"))
    app.services.cases.close(opened.case_id, "U0MGR", "moved_on", "not our ideal customer")
    case = app.services.cases.customer_left(account_id, involuntary=False, why="subscription ended")
    assert case is not None and case.id == opened.case_id and case.status == "churned"
    assert [(s.case_id, s.status) for s in surveys(app)] == [(opened.case_id, "asked")]
    assert app.services.cases.customer_left(account_id, involuntary=False, why="again") is None


def test_a_bad_survey_button_or_modal_is_refused_to_the_person_only(app: RunningApp) -> None:
    """A button value that is not a survey's id answers only the clicker; metadata that
    is not a survey modal's is refused inline on the root cause, and nothing is saved."""
    answer = churn(app, open_case(app))
    view = open_modal(app, "survey_fill", answer.id, "U0AE")
    errors = submit(app, dict(view, private_metadata="not json"), "U0AE", cause="price_value")
    assert errors["response_action"] == "errors" and set(errors["errors"]) == {"survey_root_cause"}
    assert surveys(app)[0].status == "asked"
    before = len(app.standin.responses())
    payload = app.slack.block_action(
        "survey_fill",
        "not-a-number",
        user_id="U0AE",
        channel_id="D0AE",
        message_ts="1.0",
    )
    assert app.slack.interactive(payload).status == 200
    refusal = app.standin.wait_for_responses(before + 1, timeout=30)[-1]
    assert refusal["response_type"] == "ephemeral" and refusal["text"].startswith(":no_entry:")
    assert "not-a-number" in refusal["text"]
