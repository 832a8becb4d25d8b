"""Enterprise Grid, installed org-wide: one Savedesk serves every workspace of the
organisation. A case opened from the CS workspace, its save offer approved by a manager in
the finance workspace, App Home in each; a workspace of another organisation is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.common.clock import FakeClock
from bot.imports.invoices import InvoiceImporter
from bot.policy import Policy
from bot.setup.checkup import database_state
from demo.standin import SlackStandin
from demo.standin.installs import Installer
from demo.standin.sender import SlackSender
from slack_edge.offer_messages import OfferAction
from storage.models import Case, Offer
from tests.conftest import RunningApp, eventually, seed_account
from tests.oauth_app import (
    CLIENT_ID,
    install,
    oauth_services,
    oauth_settings,
    sender_for,
    serve_oauth,
)
from tests.slack_events import delivered

ORG, CS, FINANCE = "E0ORG", "T0CS", "T0FIN"
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


@pytest.fixture
def grid_app(
    db_url: str, standin: SlackStandin, tmp_path: Path, policy: Policy, clock: FakeClock
) -> Iterator[RunningApp]:
    standin.token_clock = lambda: clock.now().timestamp()
    standin.place_channel("C0CASES", CS)
    standin.place_channel("C0FINANCE", FINANCE)
    for user, team in (("U0CSM", CS), ("U0AE", CS), ("U0MGR", FINANCE), ("U0FIN", FINANCE)):
        grid = {"enterprise_id": ORG, "id": user, "teams": [team]}
        standin.add_user(user, team_id=team, enterprise_user=grid)
    services = oauth_services(oauth_settings(db_url, standin, tmp_path), policy, clock)
    services.db.migrate()
    seed_account(services, "acme", "Acme Corp")
    with serve_oauth(services, standin) as app:
        install(app, Installer(team_id=None, enterprise_id=ORG, org_wide=True))
        yield app
    services.deliverer.close()
    services.db.dispose()


def workspace(app: RunningApp, team: str, org: str = ORG) -> SlackSender:
    return sender_for(app, team, org, org_wide=True)


def first_case(app: RunningApp) -> Case | None:
    with app.services.db.read() as session:
        return session.scalars(select(Case)).first()


def offers(app: RunningApp) -> list[Offer]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Offer)))


def propose(cs: SlackSender, case_id: int) -> None:
    values = {
        "type": {"type": {"type": "static_select", "selected_option": {"value": "discount"}}},
        "value": {"value": {"type": "number_input", "value": "20000"}},
        "discount_pct": {"discount_pct": {"type": "number_input", "value": "30"}},
        "duration": {"duration": "3 months"},
        "justification": {"justification": "budget freeze"},
        "tried": {"tried": ""},
    }
    metadata = json.dumps({"case_id": case_id})
    payload = cs.view_submission(
        "case_offer_view", values, user_id="U0AE", private_metadata=metadata
    )
    assert cs.interactive(payload).status == 200


def test_a_case_from_one_workspace_approved_from_another(grid_app: RunningApp) -> None:
    app = grid_app
    cs, finance = workspace(app, CS), workspace(app, FINANCE)
    assert cs.slash_command("cancel acme too expensive", user_id="U0CSM").status == 200
    case = eventually(lambda: first_case(app))
    app.tick()
    assert any("Acme Corp" in m["text"] for m in app.standin.messages("C0CASES"))

    propose(cs, case.id)
    offer = eventually(lambda: offers(app) and offers(app)[0])
    assert (offer.status, offer.approver) == ("pending", "managers")
    app.tick()
    approve = finance.block_action(
        OfferAction.APPROVE.value, str(offer.id), user_id="U0MGR", channel_id="C0CASES"
    )
    assert finance.interactive(approve).status == 200
    eventually(lambda: offers(app)[0].status == "approved")  # the manager is one of ours
    token = app.standin.installation(ORG, None).bot_token
    assert {c.token for c in app.standin.calls() if c.token} == {token}  # one org-wide token


@pytest.mark.parametrize(("team", "user"), [(CS, "U0CSM"), (FINANCE, "U0MGR")])
def test_app_home_works_in_each_workspace(grid_app: RunningApp, team: str, user: str) -> None:
    event = {"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"}
    assert delivered(workspace(grid_app, team), event).status == 200
    eventually(lambda: grid_app.standin.home_view(user))


def test_a_workspace_of_another_organisation_is_refused(grid_app: RunningApp) -> None:
    stranger = workspace(grid_app, "T0ELSE", "E0ELSE")
    assert stranger.slash_command("cancel acme", user_id="U0OUT").status == 200
    refused = grid_app.standin.wait_for_responses(1)
    assert "install this app" in refused[0]["text"]
    assert first_case(grid_app) is None


def test_the_policy_names_channels_in_different_workspaces(
    grid_app: RunningApp, tmp_path: Path
) -> None:
    """Cases in the CS workspace, the dunning ladder's lines in the finance workspace's
    #finance: the org-wide token reaches both (a workspace token would not)."""
    app = grid_app
    workspace(app, CS).slash_command("cancel acme too expensive", user_id="U0CSM")
    eventually(lambda: first_case(app))
    due = (app.services.clock.now().date() - timedelta(days=31)).isoformat()
    path = tmp_path / "invoices.csv"
    path.write_text(
        f"invoice_id,account,amount,currency,due_date,status\nINV-1,acme,900,USD,{due},open\n"
    )
    services = app.services
    InvoiceImporter(services.db, services.clock, services.policy.dunning.steps).run(path)
    app.tick()
    assert any("Acme Corp" in m["text"] for m in app.standin.messages("C0CASES"))
    assert any("INV-1" in m["text"] for m in app.standin.messages("C0FINANCE"))
    assert not [c for c in app.standin.calls("chat.postMessage") if c.fault]


def test_the_workflow_step_runs_from_any_workspace_of_the_org(grid_app: RunningApp) -> None:
    app = grid_app
    app.standin.declare_steps(yaml.safe_load(MANIFEST.read_text(encoding="utf-8")))
    inputs = {"account": "acme", "kind": "downgrade", "stated_reason": "fewer seats"}
    event = app.standin.run_step("open_churn_case_step", inputs)
    assert delivered(workspace(app, FINANCE), event).status == 200
    execution = str(event["function_execution_id"])
    eventually(lambda: app.standin.execution(execution).state != "running" or app.tick())
    ended = app.standin.execution(execution)
    case = first_case(app)
    assert ended.state == "completed" and case is not None
    assert ended.outputs["case_id"] == str(case.id) and ended.outputs["thread_permalink"]


def test_a_role_given_as_a_user_group_of_another_workspace(grid_app: RunningApp) -> None:
    """An org-wide token must name the workspace of a user group (Slack's missing_argument
    without `team_id`): @fin-managers of the finance workspace resolves to its members."""
    grid_app.standin.add_usergroup("S0FINMGR", "fin-managers", ["U0MGR"], team_id=FINANCE)
    grid_app.standin.add_usergroup("S0CSLEAD", "cs-leads", ["U0CSM"], team_id=CS)
    directory = grid_app.services.directory
    assert directory.resolve("@fin-managers") == ["U0MGR"]
    assert directory.resolve("@cs-leads") == ["U0CSM"]
    calls = grid_app.standin.calls("usergroups.users.list")
    assert {c.args.get("team_id") for c in calls} == {FINANCE, CS}


def test_removed_from_the_organisation_when_the_event_names_a_workspace(
    grid_app: RunningApp,
) -> None:
    """Slack sends app_uninstalled once the token is gone, so its authorizations may not
    say the install was org-wide: the event names the organisation and one workspace, and
    the org-wide installation is what was removed."""
    grid_app.standin.uninstall(enterprise_id=ORG)
    event = {"type": "app_uninstalled", "event_ts": "1.0"}
    assert delivered(sender_for(grid_app, CS, ORG, org_wide=False), event).status == 200
    state = eventually(lambda: database_state(grid_app.services.db, None, CLIENT_ID).problems)
    assert any("removed from E0ORG" in p for p in state), state
    assert grid_app.services.deliver().failed == 0
