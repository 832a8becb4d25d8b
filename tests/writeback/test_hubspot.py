"""HubSpot end to end: the real `hubspot-api-client` against a strict local HubSpot
(tests/hubspot_standin.py): companies imported as accounts (owners found by email in the
Slack stand-in), and case outcomes written back as a note and properties, from jobs."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import cmd_import_hubspot
from bot.cases.models import Signal
from bot.runtime.scheduler import Scheduler
from bot.runtime.services import Services
from bot.runtime.settings import Settings, load_settings
from bot.writeback.hubspot_outcomes import PENDING
from demo.standin import SlackStandin
from storage import accounts as accounts_store
from storage.models import Account, WritebackRecord
from tests.conftest import SIGNING_SECRET, eventually
from tests.hubspot_standin import TOKEN, HubSpotStandin
from tests.setup.test_cli import ROOT


@pytest.fixture
def crm() -> Iterator[HubSpotStandin]:
    api = HubSpotStandin()
    yield api
    api.close()


@pytest.fixture
def settings(db_url: str, standin: SlackStandin, tmp_path: Path, crm: HubSpotStandin) -> Settings:
    return load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": db_url,
            "POLICY_FILE": str(tmp_path / "policy.toml"),
            "HUBSPOT_ACCESS_TOKEN": TOKEN,
            "HUBSPOT_API_BASE": crm.url,
        }
    )


def seed_companies(crm: HubSpotStandin, standin: SlackStandin) -> dict[str, str]:
    standin.add_user("U0OWNER", email="dana@example.com")
    crm.owners = {"77": "dana@example.com"}
    return {
        "acme": crm.add_company(name="Acme Corp", domain="acme.example", savedesk_arr="60000",
                                savedesk_renewal_date="2026-06-30", hubspot_owner_id="77",
                                savedesk_external_id="acme"),
        "globex": crm.add_company(name="Globex", domain="globex.example", savedesk_arr="12000.50"),
        "nameless": crm.add_company(domain="nameless.example"),
    }  # fmt: skip


def test_companies_become_accounts_idempotently(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    ids = seed_companies(crm, standin)
    report = services.import_hubspot()
    assert report is not None
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert report.problems == [f"company {ids['nameless']}: name is empty"]
    with services.db.read() as session:
        acme = accounts_store.by_external_id(session, "acme")
        globex = accounts_store.by_external_id(session, "globex.example")
        assert acme is not None and globex is not None
        assert (acme.name, acme.arr, acme.renewal_date) == (
            "Acme Corp",
            Decimal("60000"),
            date(2026, 6, 30),
        )
        assert (acme.account_owner, acme.hubspot_company_id) == ("U0OWNER", ids["acme"])
        assert (globex.arr, globex.account_owner) == (Decimal("12000.50"), None)
    again = services.import_hubspot()
    assert again is not None and (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_import_hubspot_command(
    settings: Settings, services: Services, crm: HubSpotStandin, standin: SlackStandin,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    seed_companies(crm, standin)
    assert cmd_import_hubspot(settings, services.policy) == 3  # a company was skipped
    out = capsys.readouterr().out
    assert "HubSpot: 2 created, 0 updated, 0 unchanged, 1 skipped" in out


def test_outcomes_reach_the_company_as_a_note_and_properties(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    ids = seed_companies(crm, standin)
    services.import_hubspot()
    with services.db.read() as session:
        account = accounts_store.by_external_id(session, "acme")
        assert account is not None
        account_id = account.id
    opened = services.cases.open(account_id, Signal(kind="cancellation", source="test"))
    case_id = opened.case_id
    services.tick()
    assert crm.notes == []  # opening is not an outcome
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()
    services.cases.reopen(case_id, "U0OWNER")
    services.cases.close(case_id, "U0OWNER", "churned")
    services.tick()
    bodies = [n["properties"]["hs_note_body"] for n in crm.notes]
    refs = [re.fullmatch(r".* \(ref (sd[0-9a-f]{16})\)", body) for body in bodies]
    assert all(refs) and len({ref.group(1) for ref in refs if ref}) == 3
    assert [body.split(" (ref ")[0] for body in bodies] == [
        f"Savedesk: case #{case_id} saved; ARR saved 60,000.00 USD.",
        f"Savedesk: case #{case_id} reopened.",
        f"Savedesk: case #{case_id} churned.",
    ]
    assert {n["company"] for n in crm.notes} == {ids["acme"]}
    assert [u[1]["savedesk_status"] for u in crm.updates] == ["saved", "reopened", "churned"]
    assert crm.updates[0][1]["savedesk_arr_saved"] == "60000.00"
    assert crm.companies[ids["acme"]]["savedesk_case_id"] == str(case_id)
    services.tick()
    assert len(crm.notes) == 3  # each outcome once


def saved_case(services: Services, crm: HubSpotStandin, standin: SlackStandin) -> int:
    """An imported account's case, open and ticked (nothing sent to HubSpot yet)."""
    seed_companies(crm, standin)
    services.import_hubspot()
    with services.db.read() as session:
        account = accounts_store.by_external_id(session, "acme")
        assert account is not None
        account_id = account.id
    case_id = services.cases.open(account_id, Signal(kind="cancellation", source="t")).case_id
    services.tick()
    return case_id


def test_a_retry_after_the_property_update_failed_does_not_add_the_note_again(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    case_id = saved_case(services, crm, standin)
    crm.search_lag = True  # HubSpot's search would not find the new note yet
    crm.fail_updates = 1
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()  # the note is made, then the update answers 500: the job will retry
    assert (len(crm.notes), crm.updates) == (1, [])
    services.clock.advance(timedelta(seconds=2))
    services.tick()
    assert len(crm.notes) == 1
    assert [u[1]["savedesk_status"] for u in crm.updates] == ["saved"]
    assert crm.searches == []  # nobody had asked before the first; the retry knew its record
    services.clock.advance(timedelta(minutes=10))
    services.tick()
    assert (len(crm.notes), len(crm.updates)) == (1, 1)


def test_a_note_whose_record_was_lost_is_found_by_its_reference(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    """The attempt died between HubSpot's answer and recording it: the record says pending."""
    case_id = saved_case(services, crm, standin)
    crm.fail_updates = 1
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()
    assert len(crm.notes) == 1
    with services.db.session() as session:
        [record] = session.scalars(select(WritebackRecord)).all()
        assert record.result == crm.notes[0]["id"]
        record.result = PENDING
    services.clock.advance(timedelta(seconds=2))
    services.tick()
    assert len(crm.notes) == 1 and len(crm.searches) == 1
    assert crm.searches[0]["filterGroups"][0]["filters"][0]["operator"] == "CONTAINS_TOKEN"
    assert [u[1]["savedesk_status"] for u in crm.updates] == ["saved"]


def test_a_retried_outcome_never_overwrites_a_later_one(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    case_id = saved_case(services, crm, standin)
    crm.fail_updates = 1
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()  # saved: note made, update failed; retried in a second
    services.clock.advance(timedelta(milliseconds=500))
    services.cases.reopen(case_id, "U0OWNER")
    services.tick()  # reopened runs first
    services.clock.advance(timedelta(seconds=2))
    services.tick()  # then saved's retry: its note exists, its properties are older
    assert [n["properties"]["hs_note_body"].split(" (ref")[0] for n in crm.notes] == [
        f"Savedesk: case #{case_id} saved; ARR saved 60,000.00 USD.",
        f"Savedesk: case #{case_id} reopened.",
    ]
    assert [u[1]["savedesk_status"] for u in crm.updates] == ["reopened"]
    [acme] = [c for c in crm.companies.values() if c.get("name") == "Acme Corp"]
    assert acme["savedesk_status"] == "reopened"


def test_python_app_py_import_hubspot_as_the_readme_says(
    db_url: str, crm: HubSpotStandin, standin: SlackStandin, tmp_path: Path
) -> None:
    """The README's command, as an operator runs it: a process with only its environment."""
    seed_companies(crm, standin)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.api_url,
        "DATABASE_URL": db_url,
        "HUBSPOT_ACCESS_TOKEN": TOKEN,
        "HUBSPOT_API_BASE": crm.url,
    }

    def app(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(ROOT / "app.py"), *args]
        return subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )

    assert app("migrate").returncode == 0
    first = app("import", "hubspot")
    assert first.returncode == 3, first.stderr  # a company without a name was skipped
    assert "HubSpot: 2 created, 0 updated, 0 unchanged, 1 skipped" in first.stdout
    again = app("import", "hubspot")
    assert "HubSpot: 0 created, 0 updated, 2 unchanged, 1 skipped" in again.stdout
    env["HUBSPOT_ACCESS_TOKEN"] = "pat-na1-wrong"
    refused = app("import", "hubspot")
    assert refused.returncode not in (0, 3) and "HubSpot could not be read" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_worker_imports_at_start_then_hourly(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    seed_companies(crm, standin)
    scheduler = Scheduler(services)
    scheduler.start()
    try:
        job = scheduler._aps.get_job("hubspot-import")
        assert job is not None and job.trigger.interval == timedelta(hours=1)
        imported = eventually(lambda: _account_count(services) == 2)  # the next is in an hour
        assert imported
    finally:
        scheduler.shutdown()


def _account_count(services: Services) -> int:
    with services.db.read() as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


def test_note_records_are_forgotten_after_a_week_the_companys_last_outcome_kept(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    case_id = saved_case(services, crm, standin)
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()
    services.clock.advance(timedelta(days=8))
    services.cases.reopen(case_id, "U0OWNER")
    services.tick()
    with services.db.read() as session:
        keys = sorted(r.key.rsplit(":", 1)[0] for r in session.scalars(select(WritebackRecord)))
    assert keys == ["hubspot:company", "hubspot:note"]  # the reopening's note only
    assert len(crm.notes) == 2
