"""A member deactivated while owning open cases (docs/cases.md, *Routing*): Slack's `user_change`
event, sent over HTTP to the Bolt app, hands each case over the way routing falls back
(the case's CSM, then a manager), the thread says why and the new owner gets the DM; a
case they were the CSM of loses its CSM. At the Slack stand-in."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import Case, CaseEvent
from tests.conftest import RunningApp, eventually, seed_account
from tests.slack_events import delivered


def owners(app: RunningApp) -> list[tuple[str, str | None, str | None]]:
    with app.services.db.read() as session:
        rows = session.scalars(select(Case).order_by(Case.id))
        return [(c.status, c.owner, c.csm) for c in rows]


def cancel(app: RunningApp, account: str) -> None:
    before = len(owners(app))
    assert app.slack.slash_command(f"cancel {account} leaving", user_id="U0CSM").status == 200
    eventually(lambda: len(owners(app)) > before)


def deactivate(app: RunningApp, user: str) -> None:
    """An admin deactivates the member; Slack tells the app."""
    gone = app.standin.change_user(user, deleted=True)
    assert delivered(app.slack, {"type": "user_change", "user": gone}).status == 200


def replies(app: RunningApp) -> str:
    return json.dumps([m["text"] for m in app.standin.messages("C0CASES") if m.get("thread_ts")])


def test_a_deactivated_owner_s_cases_are_handed_over_and_the_thread_says_why(
    running_app: RunningApp,
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM", account_owner="U0AE")
    seed_account(app.services, "globex", "Globex", csm=None, account_owner="U0AE")
    seed_account(app.services, "initech", "Initech", csm="U0AE", account_owner="U0CSM")
    for account in ("acme", "globex", "initech"):
        cancel(app, account)
    app.tick()
    assert owners(app) == [
        ("new", "U0AE", "U0CSM"),
        ("new", "U0AE", None),
        ("new", "U0CSM", "U0AE"),
    ]
    deactivate(app, "U0AE")
    eventually(lambda: owners(app)[0][1] != "U0AE")
    eventually(lambda: owners(app)[2][2] is None)
    assert owners(app) == [
        ("new", "U0CSM", "U0CSM"),  # the case's CSM takes it
        ("new", "U0MGR", None),  # no CSM: a manager
        ("new", "U0CSM", None),  # the CSM was deactivated: no CSM now
    ]
    app.tick()
    said = replies(app)
    assert (
        "Routing: <@U0AE> (the owner) is deactivated in Slack; handed over to <@U0CSM>"
        " (the case's CSM)." in said
    )
    assert "handed over to <@U0MGR> (a manager, as the case has no CSM who can take it)" in said
    assert "<@U0AE> (the case's CSM) is deactivated in Slack: the case has no CSM now." in said
    to_csm = [m["text"] for m in app.standin.messages("D0CSM")]
    assert any("Acme" in t and "<@U0AE> is deactivated in Slack" in t for t in to_csm)
    to_manager = [m["text"] for m in app.standin.messages("D0MGR")]
    assert any("Globex" in t and "the case is yours now" in t for t in to_manager)
    roots = [m for m in app.standin.messages("C0CASES") if not m.get("thread_ts")]
    assert "*Owner*\\n<@U0CSM>" in json.dumps(roots[0]["blocks"])  # the root edited

    with app.services.db.read() as session:  # case.owner_changed goes out (outbound)
        handed = session.scalars(select(CaseEvent.details).where(CaseEvent.type == "reassigned"))
        assert [d["to"] for d in handed] == ["U0CSM", "U0MGR"]

    deactivate(app, "U0AE")  # Slack says it again: nothing more happens
    app.tick()
    assert replies(app) == said


def test_a_member_still_active_keeps_their_cases(running_app: RunningApp) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM", account_owner="U0AE")
    cancel(app, "acme")
    app.tick()
    renamed = app.standin.change_user("U0AE", real_name="Ann Example")
    assert delivered(app.slack, {"type": "user_change", "user": renamed}).status == 200
    app.tick()
    assert owners(app) == [("new", "U0AE", "U0CSM")]
    assert "handed over" not in replies(app)


def test_an_owner_deactivated_without_the_event_reaching_the_app_is_handed_over_on_a_tick(
    running_app: RunningApp,
) -> None:
    """The `user_change` never arrived (the app was down past Slack's retries, or the
    manifest lacked the event): the scheduler asks Slack again within the hour and hands
    the case over the same way, saying why."""
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM", account_owner="U0AE")
    cancel(app, "acme")
    app.tick()
    assert owners(app) == [("new", "U0AE", "U0CSM")]
    app.standin.change_user("U0AE", deleted=True)  # no event
    app.tick()
    assert owners(app) == [("new", "U0AE", "U0CSM")], "what Slack said within the hour holds"
    app.services.clock.advance(timedelta(hours=1, minutes=1))
    app.tick()
    assert owners(app) == [("new", "U0CSM", "U0CSM")]
    assert "<@U0AE> (the owner) is deactivated in Slack; handed over to <@U0CSM>" in replies(app)
    app.tick()
    assert replies(app).count("handed over") == 1


def test_a_person_event_without_a_user_object_is_acknowledged_and_changes_nothing(
    running_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A malformed `user_change` (a bare id, a list, no id) is acknowledged and changes
    nothing, without an error logged (it was a traceback for each)."""
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM", account_owner="U0AE")
    cancel(app, "acme")
    for user in ("U0AE", ["U0AE"], {"deleted": True}, {"id": "", "deleted": True}, None):
        for kind in ("user_change", "team_join"):
            assert delivered(app.slack, {"type": kind, "user": user}).status == 200
    app.tick()
    assert owners(app) == [("new", "U0AE", "U0CSM")]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_cover_deactivated_while_covering_is_never_given_a_new_case(
    running_app: RunningApp,
) -> None:
    """The cover someone chose for their time off is deactivated meanwhile: a new case that
    would be theirs goes to the save desk instead, as if no cover had been chosen
    (docs/hours.md)."""
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM", account_owner="U0AE")
    today = app.services.clock.now().date()
    away = f"away {today.isoformat()} {(today + timedelta(days=7)).isoformat()} cover <@U0BOB|bob>"
    assert app.slack.slash_command(away, user_id="U0AE").status == 200
    eventually(lambda: app.services.hours.view("U0AE").away)
    deactivate(app, "U0BOB")
    eventually(lambda: app.services.directory.person("U0BOB", fresh_for=None).real is False)
    cancel(app, "acme")
    app.tick()
    assert app.standin.messages("D0BOB") == [], "never DMed the case"
    (case,) = owners(app)
    assert case[1] in {"U0SAVE1", "U0SAVE2", "U0SAVE3"}, case
    assert "handed over" not in replies(app)
    (told,) = [m["text"] for m in app.standin.messages("D0AE")]
    assert "<@U0BOB> is deactivated in Slack, so they no longer cover your time off" in told
