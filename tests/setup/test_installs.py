"""OAuth mode end to end over HTTP: install through /slack/install, work in that workspace,
install again, and the app removed (delivery stops without failing a row; `check` says so)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, inspect, select

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.outbox import lookup
from bot.policy import Policy
from bot.setup.checkup import database_state
from demo.standin import SlackStandin
from demo.standin.installs import Installer
from serving import check_slack
from slack_edge.transport import WebTransport
from storage.db import Database, alembic_config
from storage.models import Base, Case, OutboxMessage
from storage.tables import installs as tables
from tests.conftest import TEST_POLICY, RunningApp, eventually, seed_account
from tests.oauth_app import CLIENT_ID, install, oauth_services, oauth_settings, serve_oauth
from tests.setup.test_cli import run_app
from tests.slack_events import delivered

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


@pytest.fixture
def oauth_app(
    db_url: str, standin: SlackStandin, tmp_path: Path, policy: Policy, clock: FakeClock
) -> Iterator[RunningApp]:
    standin.token_clock = lambda: clock.now().timestamp()
    services = oauth_services(oauth_settings(db_url, standin, tmp_path), policy, clock)
    services.db.migrate()
    seed_account(services, "acme", "Acme Corp")
    seed_account(services, "globex", "Globex")
    with serve_oauth(services, standin) as app:
        yield app
    services.deliverer.close()
    services.db.dispose()


def cases(app: RunningApp) -> list[Case]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def open_case(app: RunningApp, text: str) -> Case:
    before = len(cases(app))
    assert app.slack.slash_command(f"cancel {text}").status == 200
    eventually(lambda: len(cases(app)) > before)
    app.tick()
    return cases(app)[-1]


def roots(app: RunningApp) -> list[dict]:
    return [m for m in app.standin.messages("C0CASES") if not m.get("thread_ts")]


def test_bolts_store_tables_are_the_ones_the_migration_makes() -> None:
    """The migration builds slack_sdk's own tables column for column."""
    theirs = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(theirs, tables.INSTALLATIONS)
    SQLAlchemyInstallationStore.build_bots_table(theirs, tables.BOTS)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, tables.STATES)
    for name in (tables.INSTALLATIONS, tables.BOTS, tables.STATES):
        ours = tables.slack_installations.metadata.tables[name]
        shape = [(c.name, str(c.type), c.nullable, c.primary_key) for c in theirs.tables[name].c]
        assert [(c.name, str(c.type), c.nullable, c.primary_key) for c in ours.c] == shape


def test_install_then_a_command_in_that_workspace_opens_a_case(oauth_app: RunningApp) -> None:
    assert oauth_app.slack.slash_command("cancel acme too expensive").status == 200
    refused = oauth_app.standin.wait_for_responses(1)  # nobody installed yet
    assert "install this app" in refused[0]["text"] and cases(oauth_app) == []
    installed = install(oauth_app)
    assert installed.status == 200
    token = oauth_app.standin.installation(None, "T0TEST").bot_token
    case = open_case(oauth_app, "acme too expensive")
    assert (case.kind, case.stated_reason) == ("cancellation", "too expensive")
    posted = oauth_app.standin.calls("chat.postMessage")
    assert posted and {c.token for c in posted} == {token}
    assert len(roots(oauth_app)) == 1

    install(oauth_app)  # installing again updates the installation: its new token is used
    new_token = oauth_app.standin.installation(None, "T0TEST").bot_token
    assert new_token != token
    oauth_app.standin.clear()
    open_case(oauth_app, "globex budget")
    assert {c.token for c in oauth_app.standin.calls("chat.postMessage")} == {new_token}
    state = database_state(oauth_app.services.db, None, CLIENT_ID)
    assert any("installed in workspace T0TEST" in n for n in state.notes), state.notes
    assert not state.problems


def test_uninstall_stops_delivery_without_an_error_per_row(oauth_app: RunningApp) -> None:
    install(oauth_app)
    open_case(oauth_app, "acme too expensive")
    oauth_app.standin.uninstall(team_id="T0TEST")
    event = {"type": "app_uninstalled", "event_ts": "1.0"}
    assert delivered(oauth_app.slack, event).status == 200
    state = eventually(lambda: database_state(oauth_app.services.db, None, CLIENT_ID).problems)
    assert "the app was removed from T0TEST (app_uninstalled" in state[0]

    account = seed_account(oauth_app.services, "initech", "Initech")  # work goes on
    signal = Signal(kind="non_renewal", source="crm", summary="not renewing")
    oauth_app.services.signals.open(account, signal)
    oauth_app.standin.clear()
    for _ in range(3):
        oauth_app.services.clock.advance(timedelta(minutes=2))
        report = oauth_app.services.deliver()
        assert report.stopped == "app_uninstalled" and report.failed == 0
    assert oauth_app.standin.calls("chat.postMessage") == []  # no call with a dead token
    with oauth_app.services.db.read() as session:
        states = {r.state for r in session.scalars(select(OutboxMessage))}
    assert "failed" not in states and "pending" in states

    install(oauth_app)  # installed again: what waited goes
    oauth_app.services.clock.advance(timedelta(minutes=2))
    oauth_app.tick()
    assert any("Initech" in m["text"] for m in roots(oauth_app))
    assert not database_state(oauth_app.services.db, None, CLIENT_ID).problems


def test_an_org_wide_install_is_recorded_for_the_organisation(oauth_app: RunningApp) -> None:
    installer = Installer(team_id=None, enterprise_id="E0ORG", org_wide=True)
    assert install(oauth_app, installer).status == 200
    state = database_state(oauth_app.services.db, None, CLIENT_ID)
    assert any("organisation E0ORG (org-wide)" in n for n in state.notes), state.notes


def test_check_in_oauth_mode_before_any_install(tmp_path: Path) -> None:
    """`check` with client id and secret and no bot token: OAuth mode, and nothing installed
    yet is a problem (nothing can reach Slack)."""
    (tmp_path / "policy.toml").write_text('[channels]\ncases = "C0CASES"\n')
    env = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": "s3cr3t-value",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    assert run_app(tmp_path, "migrate", **env).returncode == 0
    result = run_app(tmp_path, "check", **env)
    assert "OAuth installs (/slack/install)" in result.stdout
    assert "problem: Slack: the app is not installed yet" in result.stdout, result.stdout
    assert result.returncode == 1


def test_the_migration_matches_the_tables_and_goes_back_down(db_url: str) -> None:
    db = Database(db_url)
    try:
        db.migrate()
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        mine = ("slack_installations", "slack_bots", "slack_oauth_states", "slack_uninstalls")
        assert [d for d in diffs if any(f"'{name}'" in repr(d) for name in mine)] == []
        with db.engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0018")
        assert not set(mine) & set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()


def test_a_revoked_token_does_not_stop_start_up_in_oauth_mode(oauth_app: RunningApp) -> None:
    """The removal's event was missed: Slack refuses the stored token. The web server must
    still start, or nobody could install the app again at /slack/install."""
    install(oauth_app)
    oauth_app.standin.uninstall(team_id="T0TEST")
    assert check_slack(oauth_app.services) is None


def test_another_process_takes_the_new_token_after_a_reinstall(
    oauth_app: RunningApp, policy: Policy
) -> None:
    """The worker still holds the old installation's token when the app is installed
    again through the web process: Slack refuses it once, the worker reads the new one."""
    install(oauth_app)
    worker = oauth_services(oauth_app.services.settings, policy, oauth_app.services.clock)
    try:
        worker.api.auth_test()  # the worker has read (and cached) the first token
        install(oauth_app)
        oauth_app.standin.clear()
        assert worker.api.auth_test()["ok"]
        first, second = [c.token for c in oauth_app.standin.calls("auth.test")]
        assert first != second == oauth_app.standin.installation(None, "T0TEST").bot_token
    finally:
        worker.db.dispose()


def test_the_install_asks_for_every_bot_scope_of_the_manifest(oauth_app: RunningApp) -> None:
    """What the OAuth install asks for is what manifest.yml declares (and the Slack admin's
    page explains): a scope left out is refused at the first call that needs it."""
    declared = set(
        yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["oauth_config"]["scopes"]["bot"]
    )
    install(oauth_app)
    granted = oauth_app.standin.installation(None, "T0TEST").scopes.split(",")
    assert sorted(granted) == sorted(declared)
    explained = (MANIFEST.parent / "docs" / "slack-admin.md").read_text(encoding="utf-8")
    assert [s for s in sorted(declared) if f"`{s}`" not in explained] == []


def test_a_post_in_doubt_can_be_looked_for_in_a_dm(oauth_app: RunningApp) -> None:
    """A DM whose deliverer died mid-call is looked for in the DM's history (im:history)
    before it goes again (bot/outbox/lookup.py): the installed token may read it."""
    install(oauth_app)
    slack = WebTransport(oauth_app.services.api)
    since = oauth_app.services.clock.now()
    assert lookup.find(slack, {"channel": "D0DM"}, 1, since) is None
    assert lookup.find(slack, {"channel": "C0CASES"}, 1, since) is None


def test_check_asks_slack_about_the_installed_token(oauth_app: RunningApp, tmp_path: Path) -> None:
    """The removal's event was missed: Slack refuses the stored token. `check` asks Slack
    with it (as it does with SLACK_BOT_TOKEN) and says to install the app again; while it
    works, the policy's channels are checked with it too."""
    install(oauth_app)
    settings = oauth_app.services.settings
    (tmp_path / "policy.toml").write_text(TEST_POLICY)
    env = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": "s3cr3t-value",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": oauth_app.standin.api_url,
        "DATABASE_URL": settings.database_url,
        "POLICY_FILE": str(tmp_path / "policy.toml"),
    }
    oauth_app.standin.clear()
    working = run_app(tmp_path, "check", **env)
    assert "Traceback" not in working.stderr, working.stderr
    asked = oauth_app.standin.calls("conversations.info")
    token = oauth_app.standin.installation(None, "T0TEST").bot_token
    assert asked and {c.token for c in asked} == {token}, working.stdout

    oauth_app.standin.uninstall(team_id="T0TEST")
    refused = run_app(tmp_path, "check", **env)
    assert refused.returncode == 1
    assert (
        "problem: Slack: it refuses the installed app's token (token_revoked); install the app "
        "again at /slack/install" in refused.stdout
    ), refused.stdout


def healthz(app: RunningApp) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{app.base_url}/healthz", timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_before_the_first_install_health_and_start_up_say_so(
    oauth_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Never installed is not "app_uninstalled", and nothing is broken: /healthz answers 200
    with `slack` saying where to install (a warning), as `check` says; once installed, ok;
    removed, it says to install again (docs/operations.md, *Health checks*)."""
    with caplog.at_level(logging.WARNING):
        assert check_slack(oauth_app.services) is None
    said = [r.getMessage() for r in caplog.records]
    assert (
        "Slack: not installed yet; install at /slack/install; messages will wait in the outbox"
        in said
    )
    assert not [line for line in said if "app_uninstalled" in line]
    status, body = healthz(oauth_app)
    assert (status, body["status"]) == (200, "ok")
    assert body["slack"] == "not installed yet; install at /slack/install"
    assert body["warnings"] == ["Slack: not installed yet; install at /slack/install"]

    install(oauth_app)
    status, body = healthz(oauth_app)
    assert (status, body["slack"], body.get("warnings")) == (200, "ok", None)

    assert oauth_app.services.installs is not None
    oauth_app.services.installs.removed(None, "T0TEST", "app_uninstalled")
    status, body = healthz(oauth_app)
    assert status == 200
    assert (
        body["slack"] == "the app was removed (app_uninstalled); install it again at /slack/install"
    )
