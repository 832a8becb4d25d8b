"""docs/access.md, *Who may do what*, pressed row by row as every kind of person, over HTTP through
the real Bolt app and the Slack stand-in.

The rows are `bot.people.access.RULES` (the docs/access.md table is checked against them
below); each row is pressed by the case's owner, its CSM, another account's CSM, a manager,
finance, an admin, a plain member, someone of another organisation (Slack Connect) and a deactivated
member. A press that is allowed has its effect; a refused one is answered only to the
person and leaves the database, outbox included, exactly as it was. Opening a modal never
changes anything, whoever opens it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.cases.models import Signal
from bot.offers.service import OfferInput
from bot.people.access import RULE, RULES, Action, Role, access_table
from bot.survey.answers import SurveyForm
from bot.turnover.answers import Answers, Coverage, Destination, Learned, Replacement, RoleFate
from slack_edge.case_messages import CaseAction
from slack_edge.modals import SurveyMeta, encode
from slack_edge.offer_messages import OfferAction
from storage.base import Base
from storage.models import (
    Account,
    Case,
    CaseEvent,
    Offer,
    PlanStep,
    RenewalCheck,
    StoredReport,
    SurveyAnswer,
)
from tests.conftest import RunningApp, eventually, seed_account
from tests.slack_events import delivered

PERSONAS = {
    "owner": "U0AE",
    "CSM": "U0CSM",
    "another CSM": "U0CSM2",
    "manager": "U0MGR",
    "finance": "U0FIN",
    "admin": "U0ADMIN",
    "member": "U0MEMBER",
    "external": "U0EXT",
    "deactivated": "U0GONE",
}
ROLES_OF: dict[str, frozenset[Role]] = {
    # What each person is on the case every row is pressed on: the owner is also the
    # account owner and the survey's answerer (the case's owner is asked); the manager is
    # the offer's approver (the policy's default); another account's CSM is a member here.
    "owner": frozenset({Role.OWNER, Role.ACCOUNT_OWNER, Role.ANSWERER, Role.MEMBER}),
    "CSM": frozenset({Role.CSM, Role.MEMBER}),
    "another CSM": frozenset({Role.MEMBER}),
    "manager": frozenset({Role.MANAGER, Role.APPROVER, Role.MEMBER}),
    "finance": frozenset({Role.FINANCE, Role.MEMBER}),
    "admin": frozenset({Role.ADMIN, Role.MEMBER}),
    "member": frozenset({Role.MEMBER}),
    "external": frozenset(),
    "deactivated": frozenset(),
}
CACHES = {"slack_users", "people"}
"""What Slack said about people (learned on any press): not state anyone changed."""


def may(action: Action, persona: str) -> bool:
    return bool(RULE[action].who & ROLES_OF[persona])


@dataclass
class World:
    """The running app with one open cancellation case on *Acme* (owner U0AE, CSM U0CSM)."""

    app: RunningApp
    case_id: int
    acme: int
    thing: int = 0
    """The id of what the row acts on when it is not the case (offer, survey, step…)."""

    @property
    def services(self) -> Any:
        return self.app.services

    def snapshot(self) -> dict[str, list[str]]:
        """Every row of every table but the people caches, as text."""
        with self.services.db.read() as session:
            return {
                table.name: sorted(
                    json.dumps([*row], default=str) for row in session.execute(select(table))
                )
                for table in Base.metadata.sorted_tables
                if table.name not in CACHES
            }

    def click(self, action_id: str, value: str | None, user: str, **extra: Any) -> None:
        payload = self.app.slack.block_action(
            action_id, value, user_id=user, channel_id="C0CASES", message_ts="1.0", **extra
        )
        assert self.app.slack.interactive(payload).status == 200

    def submit(self, callback: str, state: dict, user: str, metadata: str) -> dict:
        payload = self.app.slack.view_submission(
            callback, state, user_id=user, private_metadata=metadata
        )
        answer = self.app.slack.interactive(payload)
        assert answer.status == 200
        return answer.json() if answer.body else {}

    def refused_after(self, seen: int) -> str:
        """The ephemeral refusal the person got (a response_url post after `seen` ones)."""
        refusal = eventually(
            lambda: [r for r in self.app.standin.responses()[seen:] if ":no_entry:" in r["text"]]
        )[0]
        assert refusal["response_type"] == "ephemeral"
        return refusal["text"]

    def case(self) -> Case:
        with self.services.db.read() as session:
            case = session.get(Case, self.case_id)
            assert case is not None
            return case

    def events(self) -> list[str]:
        with self.services.db.read() as session:
            stmt = select(CaseEvent.type).where(CaseEvent.case_id == self.case_id)
            return list(session.scalars(stmt))

    def row(self, model: Any, id: int) -> Any:
        with self.services.db.read() as session:
            return session.get(model, id)


@pytest.fixture
def world(running_app: RunningApp) -> World:
    running_app.standin.add_user("U0EXT", team_id="T0OTHER", is_stranger=True)
    running_app.standin.add_user("U0GONE", deleted=True)
    acme = seed_account(running_app.services, "acme", "Acme Corp")
    seed_account(running_app.services, "globex", "Globex", csm="U0CSM2", account_owner="U0CSM2")
    opened = running_app.services.signals.open(acme, Signal(kind="cancellation", source="test"))
    running_app.tick()
    world = World(running_app, opened.case_id, acme)
    assert (world.case().owner, world.case().csm) == ("U0AE", "U0CSM")
    return world


# -- how each row is pressed ---------------------------------------------------------------

Press = Callable[[World, str, bool], None]


@dataclass(frozen=True)
class Row:
    press: Press
    done: Callable[[World], bool] | None = None
    """The allowed press's effect (None: the press shows it, a read)."""
    setup: Callable[[World], None] = lambda _world: None


def case_value(world: World) -> str:
    return str(world.case_id)


def thing_value(world: World) -> str:
    return str(world.thing)


def button(action: str, value: Callable[[World], str] = case_value) -> Press:
    """A button that acts at once."""

    def press(world: World, user: str, allowed: bool) -> None:
        seen = len(world.app.standin.responses())
        world.click(action, value(world), user)
        if not allowed:
            world.refused_after(seen)

    return press


def modal(
    action: str,
    callback: str,
    state: dict,
    metadata: Callable[[World], str] = lambda w: json.dumps({"case_id": w.case_id}),
    value: Callable[[World], str] = case_value,
) -> Press:
    """A button that opens a modal (which changes nothing, for anyone), then its submission
    (refused inline, or done)."""

    def press(world: World, user: str, allowed: bool) -> None:
        before, opened = world.snapshot(), len(world.app.standin.calls("views.open"))
        seen = len(world.app.standin.responses())
        world.click(action, value(world), user)
        if allowed:
            world.app.standin.wait_for_calls("views.open", opened + 1)
        else:
            world.refused_after(seen)
            assert len(world.app.standin.calls("views.open")) == opened
        assert world.snapshot() == before, "opening a modal changed something"
        answer = world.submit(callback, state, user, metadata(world))
        assert (answer.get("response_action") == "errors") is not allowed, answer

    return press


def command(text: str, shows: str) -> Press:
    """A `/churn` command: refused in the acknowledgement or right after it, ephemerally."""

    def press(world: World, user: str, allowed: bool) -> None:
        seen = len(world.app.standin.responses())
        answer = world.app.slack.slash_command(text, user_id=user)
        assert answer.status == 200
        acked = answer.json().get("text", "") if answer.body else ""
        if allowed:
            shown = lambda: [acked] + [r["text"] for r in world.app.standin.responses()[seen:]]  # noqa: E731
            assert eventually(lambda: any(shows in t for t in shown())), shown()
        elif ":no_entry:" not in acked:
            world.refused_after(seen)
        assert allowed or shows not in acked

    return press


def home(world: World, user: str, allowed: bool) -> None:
    """App Home: every open case and the report only for those who see revenue."""
    published = len(world.app.standin.calls("views.publish"))
    assert (
        delivered(world.app.slack, {"type": "app_home_opened", "user": user, "tab": "home"}).status
        == 200
    )
    world.app.standin.wait_for_calls("views.publish", published + 1)
    view = json.dumps(world.app.standin.home_view(user))
    assert ("Revenue at risk" in view) is allowed and ("All open cases" in view) is allowed


def seq(*presses: Press) -> Press:
    def press(world: World, user: str, allowed: bool) -> None:
        for one in presses:
            one(world, user, allowed)

    return press


def choose(kind: str, value: str) -> dict:
    return {"type": kind, "selected_option": {"value": value}}


# -- rows that need something to act on ------------------------------------------------------


def pending_move_on(world: World) -> None:
    world.services.cases.close(world.case_id, "U0AE", "moved_on", "Bankrupt")


def saved(world: World) -> None:
    world.services.cases.close(world.case_id, "U0AE", "saved")


def offer(value: int, pct: int) -> Callable[[World], None]:
    def setup(world: World) -> None:
        proposed = OfferInput("discount", Decimal(value), Decimal(pct), None, "budget cut", None)
        world.thing = world.services.offers.propose(world.case_id, "U0AE", proposed).id

    return setup


def churned(world: World) -> None:
    world.services.cases.close(world.case_id, "U0AE", "churned")
    with world.services.db.read() as session:
        stmt = select(SurveyAnswer.id).where(SurveyAnswer.case_id == world.case_id)
        world.thing = session.scalars(stmt).one()


FORM = SurveyForm("too pricey", "price_value", "yes", None, "", "maybe", "")


def answered(world: World) -> None:
    churned(world)
    world.services.survey.submit(world.thing, "U0AE", FORM)


def survey_state(cause: str) -> dict:
    return {
        "survey_stated_reason": {"survey_stated_reason": "too pricey"},
        "survey_root_cause": {"survey_root_cause": choose("static_select", cause)},
        "survey_controllable": {"survey_controllable": choose("radio_buttons", "yes")},
        "survey_would_come_back": {"survey_would_come_back": choose("radio_buttons", "no")},
    }


def survey_meta(world: World) -> str:
    return encode(SurveyMeta(world.thing))


def turnover(world: World) -> None:
    answers = Answers(
        "Dana",
        Learned.AFTER_LEFT,
        Coverage.NO_OTHER_CONTACT,
        Destination.UNKNOWN,
        RoleFate.REPLACED,
        Replacement.UNKNOWN,
    )
    turnover_id = world.services.turnover.submit(
        answers, "U0CSM", account_id=world.acme, case_id=world.case_id
    )
    world.thing = world.services.turnover.plan(turnover_id).steps[0].id


def tick_step(world: World, user: str, allowed: bool) -> None:
    seen = len(world.app.standin.responses())
    world.click(
        "turnover_step",
        None,
        user,
        block_id=f"step_{world.thing}",
        action_type="checkboxes",
        action={"selected_options": [{"value": str(world.thing)}]},
    )
    if not allowed:
        world.refused_after(seen)


def renewal(world: World) -> None:
    with world.services.db.session() as session:
        account = session.get(Account, world.acme)
        assert account is not None
        account.renewal_date = (world.services.clock.now() + timedelta(days=30)).date()
    world.services.finance.run_due()
    with world.services.db.read() as session:
        world.thing = session.scalars(select(RenewalCheck.id)).one()


ROWS: dict[Action, Row] = {
    Action.ACKNOWLEDGE: Row(
        button(CaseAction.ACKNOWLEDGE.value), lambda w: w.case().status == "acknowledged"
    ),
    Action.REASSIGN: Row(
        modal(
            CaseAction.REASSIGN.value,
            "case_reassign_view",
            {"owner": {"owner": {"type": "users_select", "selected_user": "U0SAVE1"}}},
        ),
        lambda w: w.case().owner == "U0SAVE1",
    ),
    Action.RISK: Row(
        modal(
            CaseAction.RISK.value,
            "case_risk_view",
            {"risk": {"risk": choose("static_select", "high")}},
        ),
        lambda w: w.case().risk == "high",
    ),
    Action.NOTE: Row(
        modal(CaseAction.NOTE.value, "case_note_view", {"note": {"note": "called them"}}),
        lambda w: "note" in w.events(),
    ),
    Action.OFFER: Row(
        modal(
            CaseAction.OFFER.value,
            "case_offer_view",
            {
                "type": {"type": choose("static_select", "discount")},
                "value": {"value": {"type": "number_input", "value": "2000"}},
                "discount_pct": {"discount_pct": {"type": "number_input", "value": "5"}},
                "justification": {"justification": "budget freeze"},
            },
        ),
        lambda w: w.row(Offer, 1) is not None,
    ),
    Action.REMIND: Row(
        modal(
            CaseAction.REMIND.value,
            "case_remind_view",
            {"at": {"at": {"type": "datetimepicker", "selected_date_time": 1_900_000_000}}},
        ),
        lambda w: "reminder" in w.events(),
    ),
    Action.SNOOZE: Row(
        modal(
            CaseAction.SNOOZE.value,
            "case_snooze_view",
            {"for": {"for": choose("static_select", "1d")}},
        ),
        lambda w: w.case().snoozed_until is not None,
    ),
    Action.CLOSE: Row(button(CaseAction.SAVED.value), lambda w: w.case().status == "saved"),
    Action.MOVE_ON: Row(
        modal(
            CaseAction.MOVE_ON.value,
            "case_move_on_view",
            {"reason": {"reason": choose("radio_buttons", "out_of_business")}},
        ),
        lambda w: "move_on_requested" in w.events() or w.case().status == "moved_on",
    ),
    Action.CONFIRM_MOVE_ON: Row(
        button(CaseAction.MOVE_ON_CONFIRM.value),
        lambda w: w.case().status == "moved_on",
        pending_move_on,
    ),
    Action.REOPEN: Row(
        button(CaseAction.REOPEN.value), lambda w: w.case().status == "working", saved
    ),
    Action.REMOVE_CSM: Row(
        modal(
            CaseAction.REMOVE_CSM.value,
            "case_remove_csm_view",
            {"reason": {"reason": "abusive customer"}},
        ),
        lambda w: w.case().csm is None,
    ),
    Action.DECIDE_OFFER: Row(
        button(OfferAction.APPROVE.value, thing_value),
        lambda w: w.row(Offer, w.thing).status == "approved",
        offer(20000, 30),
    ),
    Action.OFFER_OUTCOME: Row(
        button(OfferAction.ACCEPTED.value, thing_value),
        lambda w: w.row(Offer, w.thing).outcome == "accepted",
        offer(1000, 5),
    ),
    Action.FILL_SURVEY: Row(
        modal(
            "survey_fill", "survey_submit", survey_state("price_value"), survey_meta, thing_value
        ),
        lambda w: w.row(SurveyAnswer, w.thing).status == "answered",
        churned,
    ),
    Action.EDIT_SURVEY: Row(
        modal("survey_edit", "survey_submit", survey_state("budget_cut"), survey_meta, thing_value),
        lambda w: w.row(SurveyAnswer, w.thing).root_cause == "budget_cut",
        answered,
    ),
    Action.TURNOVER: Row(
        tick_step, lambda w: w.row(PlanStep, w.thing).done_at is not None, turnover
    ),
    Action.RENEWAL: Row(
        button("renewal_yes", thing_value),
        lambda w: w.row(RenewalCheck, w.thing).answer == "yes",
        renewal,
    ),
    Action.OPEN_CASE: Row(
        command("cancel globex leaving", "Opening a case"),
        lambda w: any(c.account_id != w.acme for c in cases(w)),
    ),
    Action.MY_CASES: Row(command("cases mine", "Your open cases")),
    Action.REVENUE: Row(
        seq(command("report week", "Working on"), command("cases all", "All cases"), home),
        lambda w: w.row(StoredReport, 1) is not None,
    ),
    Action.INVOICES: Row(command("invoices", "Open invoices")),
    Action.HOURS: Row(command("hours 08:00-16:00 mon-thu", "Your working hours")),
    Action.AWAY: Row(command("away 2027-01-04 2027-01-08", "Away from")),
    Action.AWAY_OTHERS: Row(command("away <@U0SAVE3|sam> 2027-01-04 2027-01-08", "Away from")),
}


def cases(world: World) -> list[Case]:
    with world.services.db.read() as session:
        return list(session.scalars(select(Case)))


def test_every_rule_has_a_row_and_the_docs_show_the_rules() -> None:
    assert set(ROWS) == {rule.action for rule in RULES}
    page = (Path(__file__).resolve().parents[2] / "docs" / "access.md").read_text(encoding="utf-8")
    lines = access_table()
    start = page.index(lines[0])
    assert page[start:].splitlines()[: len(lines)] == lines


@pytest.mark.parametrize(
    ("action", "persona"),
    [
        pytest.param(rule.action, persona, id=f"{rule.action}-{re.sub(' ', '_', persona)}")
        for rule in RULES
        for persona in PERSONAS
    ],
)
def test_who_may_do_what(world: World, action: Action, persona: str) -> None:
    row, allowed = ROWS[action], may(action, persona)
    row.setup(world)
    world.app.tick()
    before = world.snapshot()
    row.press(world, PERSONAS[persona], allowed)
    if allowed:
        if row.done is not None:
            eventually(lambda: row.done(world))
        return
    assert world.snapshot() == before, "a refused press changed the database or the outbox"
    assert row.done is None or not row.done(world)
