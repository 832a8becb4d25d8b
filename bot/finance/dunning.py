"""The dunning ladder (policy `[[dunning.steps]]`), as durable scheduled steps.

Days past due are calendar days in the policy's timezone (docs/dunning.md, *The ladder*).
Each open invoice keeps `next_step_on`, the day its next step is due; a ladder pass finds
the invoices due today through `ix_invoices_ladder` and schedules, per invoice, one step
for the highest rung it has reached, keyed `dunning:<invoice>:<days>` so each invoice gets
each step at most once. An invoice first seen late therefore gets only its highest due
step, and the message names the steps it passed. The StepRunner then claims those steps
like any other; the handler re-reads the invoice, so a paid, void or uncollectible one
gets nothing, and a partial payment shows the amount remaining.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.service import CaseService
from bot.common.vocab import CaseEventType, InvoiceStatus, StepKind, Track
from bot.finance import words
from bot.finance.invoices import next_step_on
from bot.hours.reach import is_copy, reach
from bot.outbound import service as outbound
from bot.people.team import Team
from bot.policy import ACCOUNT_ROLES, ROLE_NAMES, OwnerRole, Policy
from bot.runtime.steps import StepHandler
from storage import cases as case_store
from storage import finance as store
from storage.db import Database
from storage.models import Account, Invoice, OutboxMessage, ScheduledStep

log = logging.getLogger(__name__)

DUNNING = StepKind.DUNNING
"""Scheduled-step kind of one ladder step of one invoice."""
BATCH = 500
MAX_BATCHES = 400  # 200,000 invoices per pass; the rest wait for the next tick


def today_in(policy: Policy, now: datetime) -> date:
    """The calendar day it is now in the policy's timezone."""
    return now.astimezone(policy.timezone).date()


def days_past_due(invoice: Invoice, today: date) -> int:
    """Whole calendar days since the due date (0 or less: not yet overdue)."""
    return (today - invoice.due_date).days if invoice.due_date else 0


@dataclass
class LadderReport:
    """One ladder pass: invoices looked at, and ladder steps scheduled for them."""

    invoices: int = 0
    scheduled: int = 0


def advance(policy: Policy, invoice: Invoice, now: datetime) -> dict[str, Any] | None:
    """Move an invoice up to the highest step it has reached and its `next_step_on` on;
    returns the scheduled-step row to add for that step (None: nothing reached)."""
    ladder = policy.dunning
    reached = ladder.highest_due(days_past_due(invoice, today_in(policy, now)))
    row = None
    if reached is not None and reached.days_past_due > invoice.dunning_days:
        passed = [
            s.days_past_due
            for s in ladder.steps
            if invoice.dunning_days < s.days_past_due < reached.days_past_due
        ]
        row = {
            "key": store.DUNNING_KEY.format(invoice=invoice.id, days=reached.days_past_due),
            "kind": DUNNING,
            "due_at": now,
            "payload": {
                "invoice": invoice.id,
                "days": reached.days_past_due,
                "notify": reached.notify,
                "passed": passed,
            },
        }
        invoice.dunning_days = reached.days_past_due
    invoice.next_step_on = next_step_on(invoice, ladder.steps)
    return row


class DunningLadder:
    """Runs ladder passes and owns the `dunning` step handler; `team` resolves roles."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        team: Callable[[], Team],
        cases: CaseService | None = None,
    ) -> None:
        self.db = db
        self.policy = policy
        self.team = team
        self.cases = cases

    def handlers(self) -> Mapping[str, StepHandler]:
        return {DUNNING: self.run_step}

    def schedule_due(self, now: datetime, batch: int = BATCH) -> LadderReport:
        """Find every invoice due a step today and schedule it, one batch per unit of work
        (each invoice leaves the due set as it is handled, so batches never repeat)."""
        report = LadderReport()
        today = today_in(self.policy, now)
        for _ in range(MAX_BATCHES):
            with self.db.session() as session:
                due = store.ladder_due(session, today, batch)
                rows = [advance(self.policy, invoice, now) for invoice in due]
                report.scheduled += store.schedule_steps(session, [r for r in rows if r], now)
            report.invoices += len(due)
            if len(due) < batch:
                break
        return report

    def ask_people(self, now: datetime) -> None:
        """Ask Slack (`users.info`) the standing of the CSMs and account owners the due ladder
        steps may ping, when it was never asked or not within the hour (bot/people/directory.py,
        `STANDING_FRESH`): someone deactivated before Savedesk was installed, or whose
        `user_change` was missed, is then passed over like anyone Slack said was gone
        (docs/dunning.md, *The ladder*). Calls Slack: run before the steps' units of work,
        never inside one. A person Slack cannot answer for keeps the benefit of the doubt."""
        if self.cases is None:
            return
        with self.db.read() as session:
            wanted = store.dunning_people_due(session, now)
        if wanted:
            self.cases.team_service.directory.people(sorted(wanted))

    def run_step(self, session: Session, step: ScheduledStep, now: datetime) -> None:
        """DM each holder of the step's role (in their working hours, or their cover while
        they are away: bot/hours/reach.py) and add a line in `channels.finance`."""
        invoice = session.get(Invoice, int(step.payload.get("invoice", 0)))
        if invoice is None or invoice.status != InvoiceStatus.OPEN or invoice.amount_remaining <= 0:
            return  # paid, voided, written off or gone: the ladder stops
        if invoice.dunning_days > int(step.payload.get("days", 0)):
            return  # a higher step was reached meanwhile; its message says it all
        account = session.get(Account, invoice.account_id)
        assert account is not None
        root = self._case_root(session, account)
        view = words.StepView(
            invoice=invoice,
            account=account,
            step_days=int(step.payload["days"]),
            notify=str(step.payload.get("notify", "finance")),
            days_past_due=days_past_due(invoice, today_in(self.policy, now)),
            passed=[int(d) for d in step.payload.get("passed", [])],
            link=invoice.hosted_invoice_url,
            thread=root is not None,
        )
        people, instead = self.holders(view.notify, account, session)
        view = replace(view, instead=instead)
        reached = reach(session, self.policy, self.team(), step, people, now)
        for person in reached.now:  # each in their working hours, or their cover
            self._send(session, now, person, words.step_dm(view), root, view)
        if is_copy(step):
            return  # the finance channel heard it; only this person's DM was waiting
        channel = self.policy.channels.finance
        if channel:
            self._send(session, now, channel, words.finance_line(view, people), root, view)
        elif not people:
            log.warning("dunning step for %s reached nobody", invoice.invoice_id)
        outbound.ladder_step(session, self.policy, now, invoice, account, _step_event(view))
        if view.step_days == self.policy.dunning.steps[-1].days_past_due:
            self._flag_churn_case(session, view)

    def _flag_churn_case(self, session: Session, view: words.StepView) -> None:
        """An invoice at the last step shows on the account's open churn case's root."""
        case = case_store.open_case(session, view.account.id, Track.CHURN)
        if case is None or self.cases is None:
            return
        text = words.last_step_line(view)
        case.details = {
            **(case.details or {}),
            "overdue_invoice": {"invoice": view.invoice.invoice_id, "text": text},
        }
        self.cases.timeline.by_system(session, case, CaseEventType.DUNNING, text)

    def holders(
        self, notify: str, account: Account, session: Session | None = None
    ) -> tuple[list[str], str | None]:
        """Who a step notifies (the account's CSM or account owner, a role's members, or a
        person named in the policy), and why the step went to someone else (None: it did
        not). Only real people are pinged (docs/dunning.md, *The ladder*): an account owner who is
        deactivated, a bot or of another organisation falls back to the CSM, and a CSM
        who is not real to the managers. Their standing is what Slack last said
        (`user_change` events keep it true); never asked here, inside a unit of work."""
        team = self.team()
        if notify in ACCOUNT_ROLES:
            return self._account_person(notify, account, team, session)
        found = team.members(notify) if notify in ROLE_NAMES else team.resolve(notify)
        return [p for p in found if p not in team.dropped], None

    def _account_person(
        self, notify: str, account: Account, team: Team, session: Session | None
    ) -> tuple[list[str], str | None]:
        wanted = [user for user, _ in _in_turn(notify, account) if user]
        known = {}
        if session is not None and self.cases is not None and wanted:
            known = self.cases.team_service.directory.known(session, wanted)
        passed = []
        for user, what in _in_turn(notify, account):
            person = known.get(user) if user else None
            if user and (person is None or person.real):
                return [user], _instead(passed, who_=user)
            if person is not None:
                passed.append(f"<@{person.user_id}> ({what}) {person.why}")
        if not passed:
            return [], None
        managers = list(team.members("managers"))
        return managers, _instead(passed, who_=None if managers else "")

    @staticmethod
    def _case_root(session: Session, account: Account) -> OutboxMessage | None:
        """The thread of the account's open case, the payment track's first."""
        cases = case_store.open_cases_of_account(session, account.id)
        for case in sorted(cases, key=lambda c: c.track != Track.PAYMENT):
            root = case_store.root_message(session, case)
            if root is not None:
                return root
        return None

    @staticmethod
    def _send(
        session: Session,
        now: datetime,
        channel: str,
        text: str,
        root: OutboxMessage | None,
        view: words.StepView,
    ) -> None:
        if view.link is None and root is not None:
            outbox.linked(session, now, channel, root, text)
        else:
            outbox.post(session, now, channel, text)


def _in_turn(notify: str, account: Account) -> list[tuple[str | None, str]]:
    """Whom an account person's step tries, in turn: the account owner (for its step),
    then the CSM."""
    csm = (account.csm, "the account's CSM")
    if notify == OwnerRole.ACCOUNT_OWNER:
        return [(account.account_owner, "the account owner"), csm]
    return [csm]


def _instead(passed: list[str], who_: str | None) -> str | None:
    """Why the step went to someone else: e.g. "<@U1> (the account's CSM) is deactivated
    in Slack; the managers hear it instead"; None when nobody was passed over."""
    if not passed:
        return None
    to = (
        "the managers hear it instead"
        if who_ is None
        else (f"<@{who_}> hears it instead" if who_ else "nobody else holds it")
    )
    return f"{'; '.join(passed)}: {to}"


def _step_event(view: words.StepView) -> dict[str, object]:
    """The step as `invoice.ladder_step` publishes it (bot/outbound/events.py)."""
    return {
        "days_past_due": view.step_days,
        "notify": view.notify,
        "passed": view.passed,
        "invoice_days_past_due": view.days_past_due,
    }
