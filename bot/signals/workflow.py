"""The Workflow Builder step "Open churn case" (a Slack custom function, declared in
manifest.yml as `open_churn_case_step`): a form or a CRM-triggered workflow opens a case
without code (docs/slack-admin.md, *The workflow step*).

Inputs: account (external id or name, as `/churn cancel` takes it), kind, stated reason,
optional ARR at risk (the account's currency). Outputs: the case id and the thread's
permalink. The thread is posted by the outbox, so the step is completed by an outbox row
queued right after the case's root (bot/outbox/queue.py `step_completed`): the workflow
goes on once the thread exists. The function execution id is the dedupe key, so Slack
sending the same execution twice opens one case.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot import outbox
from bot.cases.models import ExternalAccount, Opened, Signal
from bot.common.clock import Clock
from bot.common.lookup import find_account
from bot.signals.service import SignalService
from storage import cases as store
from storage.db import Database
from storage.models import Case
from storage.vocab import Kind

STEP = "open_churn_case_step"
SOURCE = "workflow"
DEDUPE = "slack-workflow"
ENDED = "slack-workflow-end"  # idempotency key: the step's end was queued
KINDS = frozenset(k.value for k in Kind)


class StepInputError(ValueError):
    """An input the step cannot use; the message says which (shown in Workflow Builder's
    activity through functions.completeError)."""


@dataclass(frozen=True)
class StepInputs:
    execution_id: str
    account: str
    kind: str
    stated_reason: str
    arr: Decimal | None = None
    user: str | None = None


def parse_inputs(execution_id: str, inputs: Mapping[str, Any], user: str | None) -> StepInputs:
    """The step's inputs checked; raises StepInputError naming the bad one."""
    account = str(inputs.get("account") or "").strip()
    if not account:
        raise StepInputError("account: name the account (its external id or name)")
    kind = str(inputs.get("kind") or "").strip().lower().replace(" ", "_").replace("-", "_")
    if kind not in KINDS:
        raise StepInputError(f"kind: {kind!r} is not one of {', '.join(sorted(KINDS))}")
    reason = str(inputs.get("stated_reason") or "").strip()
    return StepInputs(execution_id, account, kind, reason, _arr(inputs.get("arr")), user)


def _arr(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        arr = Decimal(str(value))
    except InvalidOperation:
        raise StepInputError(f"arr: {value!r} is not a number") from None
    if not arr.is_finite() or arr < 0:
        raise StepInputError(f"arr: {value!r} is not an amount (0 or more)")
    return arr


class WorkflowStep:
    """Opens the case (or adds to the account's open one) and queues the step's end."""

    def __init__(self, db: Database, clock: Clock, signals: SignalService) -> None:
        self.db, self.clock, self.signals = db, clock, signals

    def run(self, step: StepInputs) -> Opened:
        """Open or attach; raises StepInputError when the account name is ambiguous or
        the policy names no cases channel (no thread to link to)."""
        signal = Signal(
            kind=step.kind,
            source=SOURCE,
            actor=step.user,
            summary=step.stated_reason,
            arr=step.arr,
            dedupe=(DEDUPE, step.execution_id),
            details={"function_execution_id": step.execution_id},
        )
        opened = self.signals.open(self._account(step.account), signal)
        with contextlib.suppress(IntegrityError):  # a concurrent delivery queued it
            self._queue_end(step.execution_id, opened)
        return opened

    def _queue_end(self, execution_id: str, opened: Opened) -> None:
        """Queue the step's end once per execution. Remembered apart from the case (its
        own unit of work, after it): the same execution again after a stop between the
        two still gets its end queued, where a case already opened would have hidden it."""
        with self.db.session() as session:
            if store.seen(session, ENDED, execution_id) is not None:
                return  # the same execution again: its end is queued already
            now = self.clock.now()
            store.remember(session, ENDED, execution_id, opened.case_id, now)
            case = session.get(Case, opened.case_id)
            root = store.root_message(session, case) if case is not None else None
            if root is None:
                raise StepInputError("the case has no thread: set channels.cases in the policy")
            outputs = {"case_id": str(opened.case_id), "thread_permalink": outbox.LINK_TOKEN}
            outbox.step_completed(session, now, root, execution_id, outputs)

    def _account(self, typed: str) -> int | ExternalAccount:
        """The account by external id, exact name or unique prefix; an unknown one becomes
        a stub named by what was typed (never dropped); an ambiguous one is refused."""
        with self.db.read() as session:
            match = find_account(session, typed)
        if match.account is not None:
            return match.account.id
        if match.ambiguous:
            names = ", ".join(c.name for c in match.candidates[:5])
            raise StepInputError(f"account: {typed!r} could be {names}; use its external id")
        return ExternalAccount(typed)
