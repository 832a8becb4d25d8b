"""The HubSpot calls Savedesk makes, with `hubspot-api-client` (`HUBSPOT_ACCESS_TOKEN`, a
private app's token with the companies read/write, owners read and contacts read/write
scopes, the last for notes; the base URL is `HUBSPOT_API_BASE` when set, e.g. a local
stand-in). docs/hubspot.md.

The write-back's calls (notes and properties) tell HubSpot's refusals from its failures, as
stripe_api.py does Stripe's: a 4xx that asking again cannot change (400 validation, 401,
403 missing scopes, 404 the company gone…) raises `Refusal` with HubSpot's own message;
no answer, 429, 5xx and HubSpot's other "try again" statuses (`TRANSIENT`) propagate for
the job to retry."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from hubspot import HubSpot
from hubspot.crm.companies import ApiException as CompaniesError
from hubspot.crm.companies import SimplePublicObjectInput
from hubspot.crm.objects.notes import ApiException as NotesError
from hubspot.crm.objects.notes import PublicObjectSearchRequest, SimplePublicObjectInputForCreate

T = TypeVar("T")

COMPANY_PROPERTIES = (
    "name",
    "domain",
    "savedesk_external_id",
    "savedesk_arr",
    "savedesk_renewal_date",
    "hubspot_owner_id",
)
"""What the import reads of each company (docs/hubspot.md)."""
NOTE_TO_COMPANY = 190
"""HubSpot's association type id for note → company (HUBSPOT_DEFINED)."""


TRANSIENT = (408, 423, 429, 477)
"""4xx HubSpot answers that pass: a timeout, 423 Locked (too many writes to one record at
once), 429 rate limited, 477 Migration in Progress (HubSpot's error-handling page)."""


class Refusal(Exception):
    """HubSpot refused the request for good; the message is HubSpot's (shown in the
    thread), after its HTTP status."""


@dataclass(frozen=True)
class Company:
    id: str
    properties: dict[str, str | None]


class HubSpotCRM:
    """Pages of companies and owners in; notes and properties out."""

    def __init__(self, access_token: str, api_base: str | None = None) -> None:
        options: dict[str, Any] = {"access_token": access_token}
        if api_base:
            options["host"] = api_base.rstrip("/")
        self.client = HubSpot(**options)

    def companies(self) -> Iterator[Company]:
        after: str | None = None
        api = self.client.crm.companies.basic_api
        while True:
            page = api.get_page(limit=100, after=after, properties=list(COMPANY_PROPERTIES))
            for found in page.results:
                yield Company(str(found.id), dict(found.properties or {}))
            nxt = page.paging.next if page.paging else None
            if nxt is None:
                return
            after = nxt.after

    def owner_emails(self) -> dict[str, str]:
        """Owner id → email, for every owner."""
        emails: dict[str, str] = {}
        after: str | None = None
        while True:
            page = self.client.crm.owners.owners_api.get_page(limit=100, after=after)
            emails.update({str(o.id): o.email for o in page.results if o.email})
            nxt = page.paging.next if page.paging else None
            if nxt is None:
                return emails
            after = nxt.after

    def add_note(self, company_id: str, body: str, at_ms: int) -> str:
        """A note on the company's timeline; its id."""
        note = SimplePublicObjectInputForCreate(
            properties={"hs_timestamp": str(at_ms), "hs_note_body": body},
            associations=[
                {
                    "to": {"id": company_id},
                    "types": [
                        {"associationCategory": "HUBSPOT_DEFINED",
                         "associationTypeId": NOTE_TO_COMPANY}
                    ],
                }
            ],
        )  # fmt: skip
        created = _call(
            self.client.crm.objects.notes.basic_api.create,
            simple_public_object_input_for_create=note,
        )
        return str(created.id)

    def find_note(self, token: str) -> str | None:
        """The id of a note whose body holds `token` (a Savedesk reference, one word), None
        when none does (HubSpot's CRM search, `CONTAINS_TOKEN`). HubSpot indexes a new note
        for search within seconds, so this finds what an earlier, interrupted attempt made;
        what was just made is known from the records instead (bot/writeback/hubspot_outcomes)."""
        request = PublicObjectSearchRequest(
            filter_groups=[
                {"filters": [
                    {"propertyName": "hs_note_body", "operator": "CONTAINS_TOKEN", "value": token}
                ]}
            ],
            properties=["hs_note_body"],
            limit=1,
        )  # fmt: skip
        found = _call(
            self.client.crm.objects.notes.search_api.do_search,
            public_object_search_request=request,
        )
        return str(found.results[0].id) if found.results else None

    def set_properties(self, company_id: str, properties: dict[str, str]) -> None:
        _call(
            self.client.crm.companies.basic_api.update,
            company_id,
            simple_public_object_input=SimplePublicObjectInput(properties=properties),
        )


def _call(method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One write-back call; raises `Refusal` when HubSpot refused it for good."""
    try:
        return method(*args, **kwargs)
    except (CompaniesError, NotesError) as err:
        status = int(err.status or 0)
        if not 400 <= status < 500 or status in TRANSIENT:
            raise  # the job retries
        raise Refusal(f"{status} {_message(err)}") from err


def _message(err: CompaniesError | NotesError) -> str:
    """HubSpot's own words: the error body's `message` (else the HTTP reason)."""
    try:
        body = json.loads(err.body or "{}")
    except (TypeError, ValueError):
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or err.reason or "refused")
