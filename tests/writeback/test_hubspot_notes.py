"""A HubSpot note is added once per outcome however its job's attempts end: HubSpot has no
idempotency keys and its search finds a new note only seconds later, so a retry must not
take "not found" for "not made" while an earlier attempt's note may still be unindexed.
The real `hubspot-api-client` against tests/hubspot_standin.py."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.runtime.services import Services
from demo.standin import SlackStandin
from storage.models import Job
from tests.hubspot_standin import HubSpotStandin
from tests.setup.test_cli import ROOT
from tests.writeback import test_hubspot as hs

# the HubSpot tests' fixtures: the stand-in and settings pointing the app at it
crm, settings = hs.crm, hs.settings


def _job_states(services: Services) -> list[str]:
    with services.db.read() as session:
        return [j.state for j in session.scalars(select(Job).where(Job.kind == "hubspot_outcome"))]


def test_a_note_made_but_unanswered_is_not_added_again_before_search_finds_it(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    case_id = hs.saved_case(services, crm, standin)
    crm.search_lag = True  # the note made is not searchable yet
    crm.lose_note_answers = 1  # HubSpot makes the note; its answer is lost
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()
    assert len(crm.notes) == 1
    for _ in range(3):  # retries within seconds: search finds nothing yet, nothing is added
        services.clock.advance(timedelta(seconds=5))
        services.tick()
    assert len(crm.notes) == 1 and crm.updates == []
    crm.index()  # HubSpot's index catches up
    services.clock.advance(timedelta(seconds=20))
    services.tick()
    assert len(crm.notes) == 1
    assert [u[1]["savedesk_status"] for u in crm.updates] == ["saved"]
    assert _job_states(services) == ["done"]


def test_a_note_hubspot_never_made_is_added_once_the_search_can_be_trusted(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    case_id = hs.saved_case(services, crm, standin)
    crm.fail_notes = 1  # HubSpot answers 500 and makes nothing
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()
    assert crm.notes == []
    for _ in range(8):
        services.clock.advance(timedelta(seconds=30))
        services.tick()
    assert len(crm.notes) == 1
    assert [u[1]["savedesk_status"] for u in crm.updates] == ["saved"]
    assert _job_states(services) == ["done"]


def test_the_documented_scopes_are_enough(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    """A private app given exactly the scopes docs/hubspot.md lists imports and writes back
    (HubSpot files notes under the contacts scopes)."""
    page = (ROOT / "docs" / "hubspot.md").read_text()
    crm.granted = set(re.findall(r"`(crm\.objects\.[a-z]+\.(?:read|write))`", page))
    case_id = hs.saved_case(services, crm, standin)  # imports companies and owners
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()
    assert len(crm.notes) == 1
    assert [u[1]["savedesk_status"] for u in crm.updates] == ["saved"]


def test_an_outcome_hubspot_never_took_is_said_in_the_case_thread(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    """HubSpot failing through every retry (minutes): the job is given up on, and the thread
    says what to set on the company by hand instead of the outcome vanishing."""
    case_id = hs.saved_case(services, crm, standin)
    crm.fail_updates = 100
    services.cases.close(case_id, "U0OWNER", "saved")
    for _ in range(12):
        services.tick()
        services.clock.advance(timedelta(minutes=5))
    assert _job_states(services) == ["failed"]
    assert len(crm.notes) == 1 and crm.updates == []
    lines = [m["text"] for m in standin.messages() if "HubSpot" in m["text"]]
    assert len(lines) == 1
    assert "savedesk_status" in lines[0] and "saved" in lines[0] and "by hand" in lines[0]


def test_the_wait_for_search_counts_from_the_last_attempt_that_asked_hubspot(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    case_id = hs.saved_case(services, crm, standin)
    crm.fail_notes = 1  # the first attempt: HubSpot answers 500, makes nothing
    crm.lose_note_answers = 1  # the next one: makes it, its answer lost
    crm.search_lag = True
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()
    services.clock.advance(timedelta(seconds=70))  # search can be trusted: it asks again
    services.tick()
    assert len(crm.notes) == 1
    services.clock.advance(timedelta(seconds=5))  # a retry seconds after that attempt
    services.tick()
    assert len(crm.notes) == 1  # not found yet is not "not made"
    crm.index()
    services.clock.advance(timedelta(seconds=10))
    services.tick()
    assert len(crm.notes) == 1 and [u[1]["savedesk_status"] for u in crm.updates] == ["saved"]
