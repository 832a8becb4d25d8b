"""`python app.py import hubspot`, and the worker's hourly run: HubSpot companies become
accounts (docs/hubspot.md), through the accounts importer's own checks, so a company
that cannot be an account is named and skipped, never half saved.

A company's account is keyed by its `savedesk_external_id` property, else its domain, else
`hubspot-<id>`; `savedesk_arr` and `savedesk_renewal_date` (YYYY-MM-DD) fill ARR and the
renewal date, and the company owner (found by email in Slack) is the account owner.
"""

from __future__ import annotations

from typing import Any

from bot.imports.accounts import AccountImporter
from bot.imports.csvfile import ImportReport, RowError
from bot.writeback.hubspot_api import Company, HubSpotCRM

BATCH = 200


class HubSpotImporter(AccountImporter):
    """Upserts accounts from HubSpot companies; idempotent like the CSV import."""

    def run_crm(self, crm: HubSpotCRM) -> ImportReport:
        """Import every company; raises the client's error when HubSpot cannot be read."""
        owners = crm.owner_emails()
        report = ImportReport()
        batch: list[tuple[int, str, dict[str, Any]]] = []
        seen: set[str] = set()
        for n, company in enumerate(crm.companies(), start=1):
            try:
                external_id, values = self._validate(row_of(company, owners))
            except RowError as err:
                report.problems.append(f"company {company.id}: {err}")
                continue
            if external_id in seen:
                report.problems.append(f"company {company.id}: {external_id!r} repeats")
                continue
            seen.add(external_id)
            batch.append((n, external_id, {**values, "hubspot_company_id": company.id}))
            if len(batch) >= BATCH:
                self._save(batch, report)
                batch.clear()
        self._save(batch, report)
        return report


def row_of(company: Company, owners: dict[str, str]) -> dict[str, str]:
    """The company as an accounts-CSV row (bot/imports/accounts.py validates it)."""
    props = company.properties
    external_id = (
        props.get("savedesk_external_id") or props.get("domain") or f"hubspot-{company.id}"
    )
    owner = owners.get(props.get("hubspot_owner_id") or "", "")
    return {
        "external_id": external_id.strip(),
        "name": (props.get("name") or "").strip(),
        "arr": (props.get("savedesk_arr") or "").strip(),
        "renewal_date": (props.get("savedesk_renewal_date") or "").strip()[:10],
        "account_owner": owner,
    }
