"""Real people only (docs/cases.md, *Routing*): a deactivated member, a bot or someone of another
organisation (Slack Connect) never owns a case, approves an offer, sits in the save desk or
is a case's CSM; the thread says why; `user_change` / `team_join` keep the directory true;
`python app.py check` lists policy roles held by such people. Over HTTP, at the stand-in."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cases.models import Refused, Signal
from bot.common.clock import FakeClock
from bot.offers.service import OfferInput
from bot.people.directory import SLACK_QUIET
from bot.people.standing import HomeTeam, PersonFacts, Standing
from bot.policy import Policy, parse_policy
from bot.runtime.services import Services
from demo.standin import SlackStandin
from slack_edge.offer_messages import OfferAction
from storage.models import Case, Offer, StoredReport
from storage.tables.hours import TimeOff
from storage.tables.people import SlackUser
from tests.conftest import TEST_POLICY, RunningApp, eventually, seed_account
from tests.slack_events import delivered

ROOT = Path(__file__).resolve().parents[2]
SAVE_DESK_POLICY = (
    TEST_POLICY.replace(
        'save_desk = ["U0SAVE1", "U0SAVE2", "U0SAVE3"]', 'save_desk = ["U0SAVE1", "U0BOTTY"]'
    )
    + """
[[routing]]
kinds = ["cancellation"]
min_arr = 50000
owner = "save_desk"
"""
)


TWO_MANAGERS = TEST_POLICY.replace('managers = ["U0MGR"]', 'managers = ["U0GONE", "U0MGR"]')


@pytest.fixture
def policy(request: pytest.FixtureRequest) -> Policy:
    """The test policy, or the one a test names with `indirect` parametrization."""
    return parse_policy(getattr(request, "param", TEST_POLICY), "test-policy.toml")


def standing(app: RunningApp, user: str) -> Standing | None:
    """What the directory holds about `user` (no Slack call)."""
    with app.services.db.read() as session:
        known = app.services.directory.known(session, [user])
    return known[user].standing if user in known else None


def cases(app: RunningApp) -> list[Case]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def thread(app: RunningApp) -> str:
    return json.dumps([m["text"] for m in app.standin.messages("C0CASES")])


def cancel(app: RunningApp, account: str, user: str = "U0CSM") -> Case:
    before = len(cases(app))
    assert app.slack.slash_command(f"cancel {account} leaving", user_id=user).status == 200
    eventually(lambda: len(cases(app)) > before)
    app.tick()
    return cases(app)[-1]


def test_a_deactivated_account_owner_is_passed_over_and_the_thread_says_why(
    running_app: RunningApp,
) -> None:
    app = running_app
    app.standin.add_user("U0AE", deleted=True)
    seed_account(app.services, "acme", "Acme Corp")
    case = cancel(app, "acme")
    assert (case.owner, case.csm) == ("U0CSM", "U0CSM")
    assert "Routing: &lt;@U0AE&gt;" not in thread(
        app
    ) and "<@U0AE> (the account owner) is deactivated in Slack; routed to <@U0CSM>" in thread(app)
    assert app.standin.messages("D0AE") == [], "nothing is sent to a deactivated member"
    assert app.standin.messages("D0CSM"), "the owner it fell back to is told"


def test_a_csm_of_another_organisation_is_not_the_cases_csm(running_app: RunningApp) -> None:
    app = running_app
    app.standin.add_user("U0CSM", team_id="T0OTHER")  # a Slack Connect guest, by team alone
    seed_account(app.services, "acme", "Acme Corp")
    case = cancel(app, "acme", user="U0AE")
    assert (case.owner, case.csm) == ("U0AE", None)
    assert "<@U0CSM> (the account's CSM) belongs to another organisation" in thread(app)


@pytest.mark.parametrize("policy", [SAVE_DESK_POLICY], indirect=True)
def test_the_save_desk_never_gets_a_deactivated_member_or_a_bot(
    running_app: RunningApp,
) -> None:
    app = running_app
    app.standin.add_user("U0SAVE1", deleted=True)
    app.standin.add_user("U0BOTTY", is_bot=True)
    seed_account(app.services, "acme", "Acme Corp")
    case = cancel(app, "acme")
    assert case.owner == "U0CSM", "nobody real in save_desk: the CSM"
    said = thread(app)
    assert "<@U0SAVE1> (in `save_desk`) is deactivated in Slack" in said
    assert "<@U0BOTTY> (in `save_desk`) is a bot, not a person" in said
    assert "nobody holds `save_desk`, so the account's CSM owns it" in said


@pytest.mark.parametrize(
    "policy",
    [SAVE_DESK_POLICY.replace('"U0SAVE1", "U0BOTTY"', '"U0SAVE1", "U0SAVE2"')],
    indirect=True,
)
def test_user_change_and_team_join_keep_the_directory_true(running_app: RunningApp) -> None:
    app = running_app
    for account in ("acme", "globex", "initech"):
        seed_account(app.services, account, account.title())
    assert cancel(app, "acme").owner == "U0SAVE1"
    assert app.services.team.current().members("save_desk") == ("U0SAVE1", "U0SAVE2")
    gone = app.standin.change_user("U0SAVE1", deleted=True)  # an admin deactivates them
    assert delivered(app.slack, {"type": "user_change", "user": gone}).status == 200
    # Handled means done: the team is resolved without them from then on. (Slack may have
    # sent it twice, the first past the acknowledgement budget; each run forgets the team,
    # so only the next use resolves it: never wait for a resolved copy to appear.)
    assert "U0SAVE1" not in app.services.team.current().members("save_desk")
    assert cancel(app, "globex").owner == "U0SAVE2"
    assert cancel(app, "initech").owner == "U0SAVE2", "U0SAVE1 has fewer cases, but is gone"
    asked = len(app.standin.calls("users.info"))
    joined = {"id": "U0GUEST", "team_id": "T0OTHER", "is_stranger": True, "deleted": False}
    assert delivered(app.slack, {"type": "team_join", "user": joined}).status == 200
    eventually(lambda: standing(app, "U0GUEST") is Standing.EXTERNAL)
    assert len(app.standin.calls("users.info")) == asked, "the event said it all"


@pytest.mark.parametrize("policy", [TWO_MANAGERS], indirect=True)
def test_an_approver_who_is_deactivated_is_never_asked_and_cannot_approve(
    running_app: RunningApp,
) -> None:
    app = running_app
    app.standin.add_user("U0GONE", deleted=True)
    services = app.services
    account = seed_account(services, "acme", "Acme Corp")
    case_id = services.signals.open(account, Signal(kind="cancellation", source="t")).case_id
    proposed = OfferInput("discount", Decimal(20000), Decimal(30), None, "budget cut", None)
    offer = services.offers.propose(case_id, "U0AE", proposed)
    services.tick()
    request = next(m for m in app.standin.messages("C0CASES") if "Save offer #1" in m["text"])
    asked = json.dumps(request["blocks"])
    assert "Approval needed from <@U0MGR>" in asked and "U0GONE" not in asked
    with pytest.raises(Refused, match="deactivated in Slack"):
        services.offers.decide(offer.id, "U0GONE", "approve")
    payload = app.slack.block_action(
        OfferAction.APPROVE.value, str(offer.id), user_id="U0GONE", channel_id="C0CASES"
    )
    app.slack.interactive(payload)
    assert "deactivated in Slack" in app.standin.wait_for_responses(1)[-1]["text"]
    with services.db.read() as session:
        assert session.get(Offer, offer.id).status == "pending"  # type: ignore[union-attr]


def test_a_case_is_never_reassigned_to_someone_who_is_not_a_real_person(
    running_app: RunningApp,
) -> None:
    app = running_app
    app.standin.add_user("U0EXT", team_id="T0OTHER", is_stranger=True)
    account = seed_account(app.services, "acme", "Acme Corp")
    case_id = app.services.signals.open(account, Signal(kind="cancellation", source="t")).case_id
    submit = app.slack.view_submission(
        "case_reassign_view",
        {"owner": {"owner": {"type": "users_select", "selected_user": "U0EXT"}}},
        user_id="U0MGR",
        private_metadata=json.dumps({"case_id": case_id}),
    )
    errors = app.slack.interactive(submit).json()["errors"]
    assert "belongs to another organisation" in errors["owner"]
    assert cases(app)[0].owner == "U0AE"


def test_check_lists_policy_roles_held_by_people_who_are_not_real(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[roles]\nmanagers = ["U0MGR", "U0GONE"]\nsave_desk = ["@desk"]\n', encoding="utf-8"
    )
    with SlackStandin() as standin:
        standin.add_user("U0GONE", deleted=True)
        standin.add_user("U0EXT", team_id="T0OTHER")
        standin.add_usergroup("S0DESK", "desk", ["U0SAVE1", "U0EXT"])
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            "POLICY_FILE": str(policy),
        }
        run = [sys.executable, str(ROOT / "app.py")]
        assert subprocess.run([*run, "migrate"], cwd=tmp_path, env=env, timeout=60).returncode == 0
        result = subprocess.run(
            [*run, "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1, result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if line.startswith("problem: roles")]
    assert problems == [
        "problem: roles.managers: U0GONE is deactivated in Slack; nothing goes to them",
        "problem: roles.save_desk: U0EXT (in @desk) belongs to another organisation "
        "(Slack Connect); nothing goes to them",
    ]


@pytest.mark.parametrize(
    ("facts", "home", "standing"),
    [
        (PersonFacts("U1", team_id="T1"), HomeTeam("T1"), Standing.ACTIVE),
        (PersonFacts("U1", team_id="T2"), HomeTeam("T1"), Standing.EXTERNAL),
        (PersonFacts("U1", team_id="T1", is_stranger=True), HomeTeam("T1"), Standing.EXTERNAL),
        # Enterprise Grid: another workspace of the same organisation is one of us
        (
            PersonFacts("U1", team_id="T2", enterprise_id="E1"),
            HomeTeam("T1", "E1"),
            Standing.ACTIVE,
        ),
        (PersonFacts("U1", team_id="E1", teams=("T1", "T2")), HomeTeam("T1"), Standing.ACTIVE),
        (
            PersonFacts("U1", team_id="T2", enterprise_id="E2"),
            HomeTeam("T1", "E1"),
            Standing.EXTERNAL,
        ),
        # Slack has not said who we are: only its own word (is_stranger) tells
        (PersonFacts("U1", team_id="T2"), HomeTeam(), Standing.ACTIVE),
        (PersonFacts("U1", deleted=True, is_bot=True), HomeTeam("T1"), Standing.DEACTIVATED),
        (PersonFacts("U1", is_app_user=True), HomeTeam("T1"), Standing.BOT),
        (PersonFacts("U1", found=False), HomeTeam("T1"), Standing.NOT_FOUND),
    ],
)
def test_standing_from_what_slack_says(
    facts: PersonFacts, home: HomeTeam, standing: Standing
) -> None:
    assert facts.standing(home) is standing


def test_the_report_is_never_posted_where_another_organisation_reads(
    running_app: RunningApp,
) -> None:
    app = running_app
    app.standin.add_channel("C0SHARED", "acme-shared", ext_shared=True)
    answer = app.slack.slash_command("report week", user_id="U0MGR", channel_id="C0SHARED")
    refusal = answer.json()  # refused before anything is queued: the acknowledgement says so
    assert "shared with another organisation" in refusal["text"]
    assert refusal["response_type"] == "ephemeral"
    with app.services.db.read() as session:
        assert session.scalars(select(StoredReport)).all() == []
    app.tick()
    assert app.standin.messages("C0SHARED") == []
    app.slack.slash_command("report week", user_id="U0MGR", channel_id="C0LEADERS")
    eventually(lambda: app.tick() or app.standin.messages("C0LEADERS"))


def test_another_organisations_person_gets_no_accounts_in_the_type_ahead(
    running_app: RunningApp,
) -> None:
    app = running_app
    app.standin.add_user("U0EXT", team_id="T0OTHER", is_stranger=True)
    seed_account(app.services, "acme", "Acme Corp")

    def typed(user: str) -> list[dict]:
        payload = app.slack.block_suggestion(
            "account",
            "acm",
            user_id=user,
            view={"id": "V1", "callback_id": "new_case"},
            block_id="account",
        )
        return app.slack.interactive(payload).json()["options"]

    assert [o["value"] for o in typed("U0CSM")] != []
    assert typed("U0EXT") == []


def test_slack_not_answering_is_asked_about_people_once_a_minute(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    """While Slack is down, work that reads people (a tick refreshing App Homes, routing)
    goes on with what Slack said before: one failed `users.info`, not one per person and
    per tick, each with its retries (a tick once waited 30 s on them)."""
    directory = services.directory
    standin.set_down(True)
    assert directory.person("U0NEW1").standing is Standing.UNASKED
    asked = len(standin.calls("users.info"))
    assert asked >= 1
    directory.people(["U0NEW2", "U0NEW3"])
    assert len(standin.calls("users.info")) == asked, "Slack was asked again within a minute"
    standin.set_down(False)
    clock.advance(SLACK_QUIET + timedelta(seconds=1))
    assert directory.person("U0NEW2").standing is not Standing.UNASKED
    assert len(standin.calls("users.info")) > asked


AWAY_POLICY = SAVE_DESK_POLICY + '\n[people]\naway_statuses = [":palm_tree:"]\n'


@pytest.mark.parametrize("policy", [AWAY_POLICY], indirect=True)
def test_a_late_retry_of_an_older_user_change_never_undoes_a_newer_one(
    running_app: RunningApp,
) -> None:
    """Slack retries an event it got no 200 for, so an older `user_change` can arrive after a
    newer one: Slack's `updated` says which is newer, and the older one is ignored (no
    reactivation, no time off from its status); a newer one is kept as usual."""
    app = running_app
    seed_account(app.services, "acme", "Acme Corp")
    assert cancel(app, "acme").owner == "U0SAVE1"
    away = {"status_emoji": ":palm_tree:", "status_expiration": 4102444800}
    active = app.standin.change_user("U0SAVE1", updated=100, profile=away)  # event A
    gone = app.standin.change_user("U0SAVE1", deleted=True, updated=200, profile={})  # B
    assert delivered(app.slack, {"type": "user_change", "user": gone}, event_id="EvB").status == 200
    assert standing(app, "U0SAVE1") is Standing.DEACTIVATED
    assert cases(app)[-1].owner != "U0SAVE1", "handed over"
    retry = app.slack.event({"type": "user_change", "user": active}, event_id="EvA", retry_num=1)
    assert retry.status == 200
    assert standing(app, "U0SAVE1") is Standing.DEACTIVATED, "the late retry did not undo B"
    with app.services.db.read() as session:
        assert not list(session.scalars(select(TimeOff))), "nor did its status set time off"
    moved = gone | {"tz": "Asia/Tokyo", "updated": 300}
    assert delivered(app.slack, {"type": "user_change", "user": moved}).status == 200
    with app.services.db.read() as session:
        row = session.get(SlackUser, "U0SAVE1")
        assert row is not None and (row.tz, row.slack_updated, row.deleted) == (
            "Asia/Tokyo",
            300,
            True,
        )
