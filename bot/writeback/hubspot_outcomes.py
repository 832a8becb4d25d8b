"""Case outcomes written back to the account's HubSpot company (docs/hubspot.md): a note
on its timeline and the properties `savedesk_status`, `savedesk_arr_saved` and
`savedesk_case_id`, from a durable job queued in the unit of work that closed (or
reopened) the case, never while Slack waits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.runtime.jobs import Claimed, Done, Handler, JobKind
from bot.writeback.hubspot_api import HubSpotCRM
from storage import jobs as job_rows
from storage.db import Database
from storage.models import Account, Case

OUTCOMES = ("saved", "churned", "moved_on")
WORDS = {"saved": "saved", "churned": "churned", "moved_on": "moved on", "working": "reopened"}


class HubSpotOutcomes:
    def __init__(self, db: Database, clock: Clock, crm: HubSpotCRM) -> None:
        self.db = db
        self.clock = clock
        self.crm = crm

    def handlers(self) -> dict[JobKind, Handler]:
        return {JobKind.HUBSPOT_OUTCOME: self.run}

    def status_changed(
        self, session: Session, case: Case, account: Account, previous: str, details: dict[str, Any]
    ) -> None:
        """Lifecycle listener: an outcome (or a reopening) of a HubSpot company's case."""
        reopened = previous in OUTCOMES and case.status == "working"
        if account.hubspot_company_id and (case.status in OUTCOMES or reopened):
            payload = {"case": case.id, "status": case.status, "at": self.clock.now().isoformat()}
            job_rows.add(session, JobKind.HUBSPOT_OUTCOME, payload, self.clock.now())

    def run(self, job: Claimed, done: Done) -> None:
        status = str(job.payload["status"])
        with self.db.read() as session:
            case = session.get(Case, int(job.payload["case"]))
            account = session.get(Account, case.account_id) if case else None
            company = account.hubspot_company_id if account else None
            if case is None or account is None or company is None:
                company = None
            else:
                saved = case.arr_saved if status == "saved" else None
                body = note_body(case.id, status, saved, account.currency)
        if company is not None:
            at = datetime.fromisoformat(str(job.payload["at"]))
            self.crm.add_note(company, body, int(at.timestamp() * 1000))
            self.crm.set_properties(company, {
                "savedesk_status": status if status in OUTCOMES else "reopened",
                "savedesk_arr_saved": format(saved or 0, "f"),
                "savedesk_case_id": str(job.payload["case"]),
            })  # fmt: skip
        with self.db.session() as session:
            done(session)


def note_body(case_id: int, status: str, saved: Any, currency: str) -> str:
    line = f"Savedesk: case #{case_id} {WORDS.get(status, status)}"
    return line + (f"; ARR saved {saved:,.2f} {currency}." if saved is not None else ".")
