"""Case outcomes written back to the account's HubSpot company (docs/hubspot.md): a note
on its timeline and the properties `savedesk_status`, `savedesk_arr_saved` and
`savedesk_case_id`, from a durable job queued in the unit of work that closed (or
reopened) the case, never while Slack waits.

HubSpot has no idempotency keys, so each step is made safe to repeat here. The note carries
a reference (`sd<ref>`, the job's own, made when it was queued). Before HubSpot is asked to
make it, `writeback_records` says the note is pending; once HubSpot has made it, its id is
recorded before anything else is called, so a job retried after a later step failed (the
property update, the database) never adds it again. A retry that finds the note pending
(the earlier attempt's answer was lost, or HubSpot failed) looks for it by its reference
with HubSpot's search; search finds a new note only seconds after it is made, so until
`SEARCH_SETTLES` has passed since the last attempt that asked, "not found" is not trusted
and the job tries again later; after that the note is added. The properties are set only if no later
outcome of the same company has set them already (a retried job may run after a newer one),
then recorded too. A step HubSpot refuses for good (`Refusal`: the company deleted, a
property it does not define, a scope the token lacks) is not retried: the case thread says
HubSpot's message and what to set by hand, as `give_up` does after retries run out.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.cases.timeline import Timeline
from bot.common.clock import Clock, as_utc
from bot.common.vocab import CaseEventType, CaseStatus
from bot.runtime.jobs import Claimed, Done, Handler, JobKind
from bot.writeback.hubspot_api import HubSpotCRM, Refusal
from storage import cases
from storage import jobs as job_rows
from storage import writeback as records
from storage.db import Database
from storage.models import Account, Case

OUTCOMES = (CaseStatus.SAVED, CaseStatus.CHURNED, CaseStatus.MOVED_ON)
NOTE_KEY = "hubspot:note:"
PENDING = "asked, no answer yet"
"""A note record's result while HubSpot's answer is not known."""
SEARCH_SETTLES = timedelta(minutes=1)
"""How long after a note is made HubSpot's search surely finds it (HubSpot indexes new
records within seconds); the job's retries (1 s, 2 s, 4 s… MAX_ATTEMPTS claims) outlast it."""
KEEP_NOTES = timedelta(days=7)
"""A note's record outlives every retry of its job (minutes) by far; then it goes. The
company's record (one per company: the last outcome set) stays."""
WORDS = {
    CaseStatus.SAVED: "saved",
    CaseStatus.CHURNED: "churned",
    CaseStatus.MOVED_ON: "moved on",
    CaseStatus.WORKING: "reopened",
}


class HubSpotOutcomes:
    def __init__(self, db: Database, clock: Clock, crm: HubSpotCRM, timeline: Timeline) -> None:
        self.db = db
        self.clock = clock
        self.crm = crm
        self.timeline = timeline

    def handlers(self) -> dict[JobKind, Handler]:
        return {JobKind.HUBSPOT_OUTCOME: self.run}

    def give_up(self, job: Claimed, reference: str) -> None:
        """After the job system's last try (HubSpot failing for minutes): the case thread
        says what the company should have been given, so a person sets it by hand."""
        status = str(job.payload["status"])
        with self.db.session() as session:
            case = cases.get_locked(session, int(job.payload["case"]))
            if case is None:
                return
            text = (
                f"HubSpot did not take this outcome after {job.attempt} tries (reference "
                f"{reference}): {by_hand(case.id, status)}"
            )
            self.timeline.by_system(session, case, CaseEventType.CRM_WRITEBACK, text)

    def status_changed(
        self, session: Session, case: Case, account: Account, previous: str, details: dict[str, Any]
    ) -> None:
        """Lifecycle listener: an outcome (or a reopening) of a HubSpot company's case."""
        reopened = previous in OUTCOMES and case.status == CaseStatus.WORKING
        if account.hubspot_company_id and (case.status in OUTCOMES or reopened):
            now = self.clock.now()
            payload = {"case": case.id, "status": case.status, "at": now.isoformat(),
                       "ref": uuid.uuid4().hex[:16]}  # fmt: skip
            job_rows.add(session, JobKind.HUBSPOT_OUTCOME, payload, now)

    def run(self, job: Claimed, done: Done) -> None:
        """Raises the client's error when HubSpot fails (the job is retried, and finds what
        the failed attempt already did)."""
        status, at = str(job.payload["status"]), datetime.fromisoformat(str(job.payload["at"]))
        with self.db.read() as session:
            case = session.get(Case, int(job.payload["case"]))
            account = session.get(Account, case.account_id) if case else None
            company = account.hubspot_company_id if account else None
            if case is not None and account is not None and company is not None:
                saved = case.arr_saved if status == CaseStatus.SAVED else None
                body = note_body(case.id, status, saved, account.currency)
        latest, refused = False, None
        if company is not None:
            try:
                self._note(company, body, at, str(job.payload.get("ref") or f"job{job.id}"))
                latest = self._properties(company, status, saved, int(job.payload["case"]), at)
            except Refusal as refusal:  # for good: asking again would be refused again
                refused = refusal
        now = self.clock.now()
        with self.db.session() as session:
            if company is not None and latest:
                records.record(session, company_key(company), status, at, now)
            if refused is not None and (
                case := cases.get_locked(session, int(job.payload["case"]))
            ):
                text = f"HubSpot refused this outcome ({refused}), so it is not tried again: "
                text += by_hand(case.id, status, f"company {company}, if it still exists")
                self.timeline.by_system(session, case, CaseEventType.CRM_WRITEBACK, text)
            records.forget(session, NOTE_KEY, now - KEEP_NOTES)
            done(session)

    def _note(self, company: str, body: str, at: datetime, ref: str) -> None:
        """Raises `NotSearchable` while an earlier attempt's note may exist unindexed."""
        key, token = f"{NOTE_KEY}{ref}", f"sd{ref}"
        with self.db.read() as session:
            row = records.get(session, key)
            pending_since = row.recorded_at if row is not None else None
            if row is not None and row.result != PENDING:
                return  # an earlier attempt made it
        note: str | None = None
        if pending_since is not None:  # an attempt asked HubSpot: did it make the note?
            note = self.crm.find_note(token)
            waited = self.clock.now() - as_utc(pending_since)
            if note is None and waited < SEARCH_SETTLES:
                raise NotSearchable(f"note {token}: not found yet, {waited} after an attempt")
        if note is None:
            with self.db.session() as session:  # say (again: from now) that one is asking
                records.record(session, key, PENDING, at, self.clock.now())
            note = self.crm.add_note(company, f"{body} (ref {token})", int(at.timestamp() * 1000))
        with self.db.session() as session:
            records.record(session, key, note, at, self.clock.now())

    def _properties(
        self, company: str, status: str, saved: Any, case_id: int, at: datetime
    ) -> bool:
        """Set the company's properties unless a later outcome set them; whether it did."""
        with self.db.read() as session:
            last = records.get(session, company_key(company))
            if last is not None and last.happened_at > at:
                return False
        self.crm.set_properties(company, {
            "savedesk_status": status if status in OUTCOMES else "reopened",
            "savedesk_arr_saved": format(saved or 0, "f"),
            "savedesk_case_id": str(case_id),
        })  # fmt: skip
        return True


class NotSearchable(Exception):
    """A retry cannot tell yet whether an earlier attempt made the note (HubSpot's search
    may not show it for seconds): the job tries again later."""


def by_hand(case_id: int, status: str, company: str = "the company") -> str:
    """What a person sets on the company when HubSpot did not take an outcome."""
    shown = status if status in OUTCOMES else "reopened"
    return (
        f"on {company}, set savedesk_status to {shown} and "
        f"savedesk_case_id to {case_id} by hand, and add a note if none says "
        f"case #{case_id} {WORDS.get(status, status)}."
    )


def company_key(company: str) -> str:
    """The record of the last outcome written to a company's properties."""
    return f"hubspot:company:{company}"


def note_body(case_id: int, status: str, saved: Any, currency: str) -> str:
    line = f"Savedesk: case #{case_id} {WORDS.get(status, status)}"
    return line + (f"; ARR saved {saved:,.2f} {currency}." if saved is not None else ".")
