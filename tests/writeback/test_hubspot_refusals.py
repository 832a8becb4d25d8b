"""HubSpot refusing an outcome for good (the company deleted, a scope the token lacks, a
property the portal does not define) is said in the case thread at once, with HubSpot's
message, instead of being retried for minutes; rate limits and HubSpot's 5xx are retried.
The real `hubspot-api-client` against tests/hubspot_standin.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hubspot.crm.companies import ApiException
from sqlalchemy import select

from bot.runtime.services import Services
from bot.writeback.hubspot_api import HubSpotCRM, Refusal
from demo.standin import SlackStandin
from storage.models import Job
from tests.hubspot_standin import SCOPES, TOKEN, HubSpotStandin
from tests.writeback import test_hubspot as hs

# the HubSpot tests' fixtures: the stand-in and settings pointing the app at it
crm, settings = hs.crm, hs.settings


def _jobs(services: Services) -> list[tuple[str, int]]:
    """The outcome jobs' states and claims."""
    with services.db.read() as session:
        found = session.scalars(select(Job).where(Job.kind == "hubspot_outcome"))
        return [(j.state, j.attempts) for j in found]


def _hubspot_lines(services: Services, standin: SlackStandin) -> list[str]:
    services.tick()  # the thread's line goes out
    return [m["text"] for m in standin.messages() if "HubSpot" in m["text"]]


def _acme(crm: HubSpotStandin) -> str:
    [acme] = [i for i, c in crm.companies.items() if c.get("name") == "Acme Corp"]
    return acme


def test_a_company_deleted_in_hubspot_is_said_at_once_not_retried(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    case_id = hs.saved_case(services, crm, standin)
    acme = _acme(crm)
    del crm.companies[acme]  # deleted in HubSpot after the import
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()
    assert _jobs(services) == [("done", 1)]
    [line] = _hubspot_lines(services, standin)
    assert f"HubSpot refused this outcome (400 company {acme} does not exist)" in line
    assert "not tried again" in line and f"savedesk_case_id to {case_id} by hand" in line
    assert crm.notes == [] and crm.updates == []


def test_properties_of_a_company_gone_since_its_note_answer_404_once(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    """The note was made, the update failed (500) and was to be retried; the company was
    deleted meanwhile: the retry's 404 is the last call."""
    case_id = hs.saved_case(services, crm, standin)
    crm.fail_updates = 1
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()
    assert len(crm.notes) == 1 and _jobs(services)[0][0] != "done"
    assert _hubspot_lines(services, standin) == []
    del crm.companies[_acme(crm)]
    services.clock.advance(timedelta(seconds=5))
    services.tick()
    assert _jobs(services) == [("done", 2)]
    [line] = _hubspot_lines(services, standin)
    assert "HubSpot refused this outcome (404 Object not found." in line
    assert "savedesk_status to saved" in line and len(crm.notes) == 1


def test_a_scope_the_token_lacks_is_said_at_once(
    services: Services, crm: HubSpotStandin, standin: SlackStandin
) -> None:
    case_id = hs.saved_case(services, crm, standin)
    crm.granted -= SCOPES["companies:PATCH"]
    services.cases.close(case_id, "U0OWNER", "saved")
    services.tick()
    assert _jobs(services) == [("done", 1)]
    [line] = _hubspot_lines(services, standin)
    assert "HubSpot refused this outcome (403 This app hasn't been granted" in line
    assert len(crm.notes) == 1 and crm.updates == []


@pytest.mark.parametrize("status", [429, 423, 500, 503])
def test_rate_limits_and_hubspot_failures_are_retried(
    services: Services, crm: HubSpotStandin, standin: SlackStandin, status: int
) -> None:
    case_id = hs.saved_case(services, crm, standin)
    crm.fail_updates, crm.fail_status = 2, status
    services.cases.close(case_id, "U0OWNER", "saved")
    for _ in range(3):
        services.tick()
        services.clock.advance(timedelta(seconds=10))
    assert _jobs(services) == [("done", 3)]
    assert [u[1]["savedesk_status"] for u in crm.updates] == ["saved"]
    assert _hubspot_lines(services, standin) == []


def test_the_client_tells_refusals_from_failures(crm: HubSpotStandin) -> None:
    """One place classifies HubSpot's answers: a 4xx (but 408, 423, 429, 477) is a Refusal
    with HubSpot's message; anything else is the client's error, for the job to retry."""
    api = HubSpotCRM(TOKEN, crm.url)
    company = crm.add_company(name="Initech")
    with pytest.raises(Refusal, match=r"^404 Object not found"):
        api.set_properties("424242", {"savedesk_status": "saved"})
    with pytest.raises(Refusal, match=r'^400 Property values were not valid: Property "nope"'):
        api.set_properties(company, {"nope": "1"})
    crm.fail_updates, crm.fail_status = 1, 429
    with pytest.raises(ApiException) as limited:
        api.set_properties(company, {"savedesk_status": "saved"})
    assert limited.value.status == 429 and not isinstance(limited.value, Refusal)
    api.set_properties(company, {"savedesk_status": "saved"})
    assert crm.companies[company]["savedesk_status"] == "saved"
