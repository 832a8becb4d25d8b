"""Cases end to end: /churn and buttons over HTTP, the thread and DMs at the Slack stand-in."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.outbox import Pacer
from slack_edge.case_messages import CaseAction
from storage.models import Case, CaseEvent
from tests.conftest import RunningApp, eventually, seed_account


def cases(app: RunningApp) -> list[Case]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def events(app: RunningApp, case_id: int) -> list[str]:
    with app.services.db.session() as session:
        stmt = select(CaseEvent.type).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        return list(session.scalars(stmt))


def open_case(app: RunningApp, text: str = "acme budget cut", user: str = "U0CSM") -> Case:
    before = len(cases(app))
    response = app.slack.slash_command(f"cancel {text}", user_id=user)
    assert response.status == 200
    eventually(lambda: len(cases(app)) > before or events_settled(app))
    app.tick()
    return cases(app)[-1]


def events_settled(app: RunningApp) -> bool:
    return False


def root_message(app: RunningApp) -> dict:
    return app.standin.messages("C0CASES")[0]


def click(app: RunningApp, action: CaseAction, case: Case, user: str) -> None:
    payload = app.slack.block_action(
        action.value, str(case.id), user_id=user, channel_id="C0CASES", message_ts="1.0"
    )
    assert app.slack.interactive(payload).status == 200


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    seed_account(running_app.services, "acme", "Acme Corp")
    seed_account(running_app.services, "acme-eu", "Acme Europe")
    seed_account(running_app.services, "globex", "Globex")
    return running_app


def test_churn_cancel_opens_one_case_thread(app: RunningApp) -> None:
    case = open_case(app)
    assert (case.kind, case.status, case.owner, case.csm) == (
        "cancellation",
        "new",
        "U0AE",
        "U0CSM",
    )
    assert case.stated_reason == "budget cut"
    root = root_message(app)
    assert "Acme Corp" in root["text"]
    labels = [
        e["text"]["text"] for b in root["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels[:2] == ["Acknowledge", "Reassign"]
    assert "Mark churned" in labels and "Reopen" not in labels
    assert "Case opened by <@U0CSM>" in json.dumps(root["blocks"])  # the root says it
    assert [m for m in app.standin.messages("C0CASES") if m.get("thread_ts")] == []
    dm = app.standin.messages("D0AE")
    assert dm and "You own a new case" in dm[0]["text"] and "https://" in dm[0]["text"]
    confirmation = app.standin.wait_for_responses(1)[-1]
    assert "Opened case #1" in confirmation["text"] and "https://" in confirmation["text"]


def test_the_confirmation_replaces_opening_a_case(app: RunningApp) -> None:
    """Slack shows the command's answer ("Opening a case…") at once; the confirmation, once
    the thread is posted, takes its place (`replace_original`) rather than showing beside it."""
    url = app.standin.new_response_url("U0CSM", "C0GENERAL")
    response = app.slack.slash_command(
        "cancel acme budget cut", user_id="U0CSM", channel_id="C0GENERAL", response_url=url
    )
    app.standin.add_ephemeral("U0CSM", "C0GENERAL", response.json(), "command", url)
    (shown,) = app.standin.ephemerals("U0CSM")
    assert shown["text"] == "Opening a case for *Acme Corp*…"
    eventually(lambda: cases(app))
    app.tick()
    assert app.standin.wait_for_responses(1)[-1]["replace_original"] is True
    (shown,) = app.standin.ephemerals("U0CSM")
    assert "Opened case #1" in shown["text"] and "https://" in shown["text"]
    assert shown["channel"] == "C0GENERAL"


def test_second_signal_attaches_instead_of_a_second_case(app: RunningApp) -> None:
    first = open_case(app)
    app.tick()
    root_before, updates_before = root_message(app), len(app.standin.calls("chat.update"))
    app.slack.slash_command("cancel acme they found it too pricey", user_id="U0OTHER")
    eventually(lambda: "signal" in events(app, first.id))
    app.tick()
    assert len(cases(app)) == 1
    assert len([m for m in app.standin.messages("C0CASES") if not m.get("thread_ts")]) == 1
    thread = [m for m in app.standin.messages("C0CASES") if m.get("thread_ts") == root_before["ts"]]
    assert any("they found it too pricey" in m["text"] for m in thread)
    # The root shows nothing an attach changes: Slack is not asked to edit it (a burst of
    # signals would otherwise be a burst of chat.update, a Tier 3 method).
    assert len(app.standin.calls("chat.update")) == updates_before
    assert root_message(app) == root_before


def test_ambiguous_or_unknown_account_opens_modal_prefilled(app: RunningApp) -> None:
    app.slack.slash_command("cancel acm they are leaving", trigger_id="T1")
    views = app.standin.wait_for_calls("views.open")
    view = views[-1].args["view"]
    assert "matches 2 accounts" in json.dumps(view)
    assert "they are leaving" in json.dumps(view)
    assert cases(app) == []
    app.slack.slash_command("cancel", trigger_id="T2")
    app.standin.wait_for_calls("views.open", 2)
    assert cases(app) == []


def test_modal_submission_opens_case_and_bad_arr_is_inline_error(app: RunningApp) -> None:
    acme = seed_account(app.services, "acme", "Acme Corp")
    values = {
        "account": {
            "account": {"type": "external_select", "selected_option": {"value": str(acme)}}
        },
        "kind": {"kind": {"type": "static_select", "selected_option": {"value": "downgrade"}}},
        "reason": {"reason": "moving to the basic plan"},
        "arr": {"arr": {"type": "number_input", "value": "-5"}},
        "renewal": {"renewal": {"type": "datepicker", "selected_date": "2027-03-01"}},
    }
    bad = app.slack.view_submission("new_case", values, user_id="U0CSM", view_id="V1")
    answer = app.slack.interactive(bad)
    assert answer.json()["response_action"] == "errors"
    assert "arr" in answer.json()["errors"]
    values["arr"] = {"arr": {"type": "number_input", "value": "12000"}}
    good = app.slack.view_submission("new_case", values, user_id="U0CSM", view_id="V2")
    assert app.slack.interactive(good).status == 200
    app.slack.interactive(good)  # double submit: same view id, no second effect
    case = eventually(lambda: cases(app) and cases(app)[0])
    assert (case.kind, case.arr_at_risk, str(case.renewal_date)) == (
        "downgrade",
        12000,
        "2027-03-01",
    )
    eventually(lambda: "opened" in events(app, case.id))
    assert len(cases(app)) == 1


def test_account_type_ahead(app: RunningApp) -> None:
    payload = {
        "type": "block_suggestion",
        "action_id": "account",
        "block_id": "account",
        "value": "acme",
        "user": {"id": "U0CSM"},
        "team": {"id": "T0TEST"},
        "view": {"id": "V1", "callback_id": "new_case"},
    }
    answer = app.slack.interactive(payload)
    labels = [o["text"]["text"] for o in answer.json()["options"]]
    assert labels[0] == "Acme Corp (acme)"
    assert "Acme Europe (acme-eu)" in labels


def test_reassign_refused_for_others_and_allowed_for_manager(app: RunningApp) -> None:
    case = open_case(app)
    root_ts = root_message(app)["ts"]
    click(app, CaseAction.REASSIGN, case, "U0STRANGER")
    refusal = app.standin.wait_for_responses(2)[-1]
    assert "Only the case's owner" in refusal["text"]
    assert not app.standin.calls("views.open")
    submit = app.slack.view_submission(
        "case_reassign_view",
        {"owner": {"owner": {"type": "users_select", "selected_user": "U0STRANGER"}}},
        user_id="U0STRANGER",
        private_metadata=json.dumps({"case_id": case.id}),
    )
    answer = app.slack.interactive(submit).json()
    assert answer["response_action"] == "errors"
    assert cases(app)[0].owner == "U0AE"

    click(app, CaseAction.REASSIGN, case, "U0MGR")
    app.standin.wait_for_calls("views.open")
    submit = app.slack.view_submission(
        "case_reassign_view",
        {"owner": {"owner": {"type": "users_select", "selected_user": "U0SAVE1"}}},
        user_id="U0MGR",
        private_metadata=json.dumps({"case_id": case.id}),
    )
    assert app.slack.interactive(submit).status == 200
    eventually(lambda: cases(app)[0].owner == "U0SAVE1")
    app.tick()
    assert app.standin.last_call("chat.update").args["ts"] == root_ts
    assert "<@U0SAVE1>" in json.dumps(root_message(app)["blocks"])
    assert app.standin.messages("D0SAVE1"), "the new owner is told"


def test_only_a_manager_removes_the_csm(app: RunningApp) -> None:
    case = open_case(app)
    meta = json.dumps({"case_id": case.id})
    values = {"reason": {"reason": "abusive customer"}}
    refused = app.slack.view_submission(
        "case_remove_csm_view", values, user_id="U0AE", private_metadata=meta
    )
    assert app.slack.interactive(refused).json()["response_action"] == "errors"
    assert cases(app)[0].csm == "U0CSM"
    allowed = app.slack.view_submission(
        "case_remove_csm_view", values, user_id="U0MGR", private_metadata=meta
    )
    assert app.slack.interactive(allowed).status == 200
    eventually(lambda: cases(app)[0].csm is None)
    assert "csm_removed" in events(app, case.id)


def test_acknowledge_double_click_counts_once(app: RunningApp) -> None:
    case = open_case(app)
    click(app, CaseAction.ACKNOWLEDGE, case, "U0AE")
    click(app, CaseAction.ACKNOWLEDGE, case, "U0AE")
    eventually(lambda: len(app.standin.responses()) >= 2)
    assert events(app, case.id).count("status") == 1
    assert cases(app)[0].status == "acknowledged"


def test_move_on_needs_reason_then_reopen(app: RunningApp) -> None:
    case = open_case(app)
    meta = json.dumps({"case_id": case.id})
    other = {"reason": {"reason": {"type": "radio_buttons", "selected_option": {"value": "other"}}}}
    refused = app.slack.view_submission(
        "case_move_on_view", other, user_id="U0AE", private_metadata=meta
    )
    assert "detail" in app.slack.interactive(refused).json()["errors"]
    bankrupt = {
        "reason": {
            "reason": {"type": "radio_buttons", "selected_option": {"value": "out_of_business"}}
        }
    }
    done = app.slack.view_submission(
        "case_move_on_view", bankrupt, user_id="U0AE", private_metadata=meta
    )
    assert app.slack.interactive(done).status == 200
    eventually(lambda: "move_on_requested" in events(app, case.id))
    assert cases(app)[0].status == "new", "above the ARR threshold a manager must confirm"
    click(app, CaseAction.MOVE_ON_CONFIRM, case, "U0AE")
    refusal = app.standin.wait_for_responses(2)[-1]
    assert "Only a manager" in refusal["text"]
    click(app, CaseAction.MOVE_ON_CONFIRM, case, "U0MGR")
    eventually(lambda: cases(app)[0].status == "moved_on")
    app.tick()
    thread = json.dumps(app.standin.messages("C0CASES"))
    assert "Offboarding checklist" in thread and "Move on confirmed by" in thread
    click(app, CaseAction.REOPEN, case, "U0CSM")
    eventually(lambda: cases(app)[0].status == "working")
    app.tick()
    labels = json.dumps(root_message(app)["blocks"])
    assert "Mark saved" in labels and "Reopen" not in labels


def test_churn_cases_lists_with_links(app: RunningApp) -> None:
    open_case(app)
    open_case(app, "globex price")
    app.slack.slash_command("cases all", user_id="U0MGR")
    listing = app.standin.wait_for_responses(3)[-1]
    assert "showing 2 of 2" in listing["text"]
    body = json.dumps(listing["blocks"])
    assert "Globex" in body and "Acme Corp" in body and "https://" in body
    app.slack.slash_command("cases all", user_id="U0CSM")
    refused = app.standin.wait_for_responses(4)[-1]
    assert "Only a manager or an admin" in refused["text"] and "blocks" not in refused
    app.slack.slash_command("cases mine", user_id="U0CSM")
    assert "showing 2 of 2" in app.standin.wait_for_responses(5)[-1]["text"]
    with app.services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 2


def test_slack_down_still_acknowledges_and_opens_the_case(app: RunningApp) -> None:
    app.standin.set_down(True)
    response = app.slack.slash_command("cancel globex too expensive")
    assert response.status == 200 and "Opening a case" in response.json()["text"]
    eventually(lambda: len(cases(app)) == 1)
    app.tick()
    assert app.standin.messages("C0CASES") == []
    app.standin.set_down(False)
    app.services.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    app.tick()
    assert "Globex" in root_message(app)["text"]


def test_commands_are_answered_while_the_deliverer_waits_on_slack(app: RunningApp) -> None:
    """The deliverer holds no transaction (no SQLite write lock) while it paces or calls
    Slack, so a command arriving meanwhile is acknowledged and its case opened at once."""
    open_case(app)
    seed_account(app.services, "initech", "Initech")
    app.slack.slash_command("cancel globex price")
    app.slack.slash_command("cancel initech price")  # two roots: the second one is paced
    eventually(lambda: len(cases(app)) == 3)
    pacing, release = threading.Event(), threading.Event()
    elapsed = [0.0]

    def slow_sleep(seconds: float) -> None:
        pacing.set()
        release.wait(60)  # until the case below opened: that it did is what is tested
        elapsed[0] += seconds

    pacer = Pacer(interval=1.0, monotonic=lambda: elapsed[0], sleep=slow_sleep, burst=1)
    app.services.deliverer.pacer = pacer
    worker = threading.Thread(target=app.services.deliver)
    worker.start()
    try:
        assert pacing.wait(30), "the deliverer reached its pacing wait"
        response = app.slack.slash_command("cancel acme-eu leaving", user_id="U0CSM")
        assert response.status == 200 and "Opening a case" in response.json()["text"]
        eventually(lambda: len(cases(app)) == 4)
        assert worker.is_alive(), "the case opened while the deliverer was still waiting"
    finally:
        release.set()
        worker.join(30)


def test_account_names_are_escaped_for_slack(app: RunningApp) -> None:
    seed_account(app.services, "smith", "Smith & <Sons>")
    open_case(app, "smith closing down")
    root = root_message(app)
    assert "Smith &amp; &lt;Sons&gt;" in root["text"]
    assert "<Sons>" not in json.dumps(root["blocks"])


def test_typed_text_never_pings_a_channel(app: RunningApp) -> None:
    case = open_case(app, "acme <!channel> we are leaving")
    note = app.slack.view_submission(
        "case_note_view",
        {"note": {"note": "told <!here> and <https://evil.example|click>"}},
        user_id="U0AE",
        private_metadata=json.dumps({"case_id": case.id}),
    )
    assert app.slack.interactive(note).status == 200
    eventually(lambda: "note" in events(app, case.id))
    app.tick()
    posted = json.dumps([m for m in app.standin.messages("C0CASES")])
    assert "<!channel>" not in posted and "<!here>" not in posted
    assert "<https://evil.example|click>" not in posted
    assert "&lt;!here&gt;" in posted
