"""Publishing outbound events: one `webhook_deliveries` row per subscribed endpoint, written
in the caller's unit of work, so an event exists exactly when its change committed (the
outbox's rule, bot/outbox.py) and the sender delivers it at least once afterwards.

Case events come from the case timeline (`CaseEvents.heard`, a `Timeline` listener); the
dunning ladder calls `publish` for `invoice.ladder_step`.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.common.vocab import CaseEventType, OfferStatus
from bot.outbound import events as ev
from bot.policy import Policy
from storage import outbound as rows
from storage import turnover as turnover_store
from storage.models import Account, Case, Invoice, Offer, SurveyAnswer, Turnover

EVENT_ID_PREFIX = "msg_"
DECIDED = (  # timeline events that are an offer's decision: an approver's, or the policy's
    CaseEventType.OFFER_APPROVED,
    CaseEventType.OFFER_REJECTED,
    CaseEventType.OFFER_COUNTERED,
    CaseEventType.OFFER_APPLIED,
)


def publish(
    session: Session, policy: Policy, now: datetime, event_type: str, data: dict[str, Any]
) -> str | None:
    """Queue `event_type` with `data` for every endpoint that wants it; returns the event's
    id (the `webhook-id` every endpoint and every retry gets), None when nobody listens."""
    endpoints = [hook for hook in policy.outbound_webhooks if hook.wants(event_type)]
    if not endpoints:
        return None
    event_id = EVENT_ID_PREFIX + uuid.uuid4().hex
    body = json.dumps(ev.envelope(event_type, now, data), ensure_ascii=False)
    for hook in endpoints:
        rows.add(
            session, event_id=event_id, event_type=event_type, url=hook.url, body=body, now=now
        )
    return event_id


def ladder_step(
    session: Session,
    policy: Policy,
    now: datetime,
    invoice: Invoice,
    account: Account,
    step: dict[str, Any],
) -> None:
    """`invoice.ladder_step`: `step` is {days_past_due (the step's), notify, passed (earlier
    steps this one stands for), invoice_days_past_due}."""
    data = {
        "invoice": ev.invoice_data(invoice, int(step["invoice_days_past_due"])),
        "account": ev.account_data(account),
        "step": {
            "days_past_due": int(step["days_past_due"]),
            "notify": step["notify"],
            "passed": list(step.get("passed", [])),
        },
    }
    publish(session, policy, now, ev.LADDER_STEP, data)


class CaseEvents:
    """Turns the case timeline's events into outbound events (module docstring of
    bot/outbound/events.py lists which)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def heard(
        self,
        session: Session,
        case: Case,
        actor: str | None,
        type: CaseEventType,
        details: dict[str, Any],
        at: datetime,
    ) -> None:
        """Timeline listener: publish the event this timeline event stands for, if any."""
        if not self.policy.outbound_webhooks:
            return
        found = self._events(session, case, actor, type, details)
        if not found:
            return
        account = session.get(Account, case.account_id)
        assert account is not None
        for event_type, extra in found:
            data = {"case": ev.case_data(case, account), **extra}
            publish(session, self.policy, at, event_type, data)

    def _events(
        self,
        session: Session,
        case: Case,
        actor: str | None,
        type: CaseEventType,
        details: dict[str, Any],
    ) -> list[tuple[str, dict[str, Any]]]:
        """The events one timeline event stands for: none, one, or (a change of status that
        also changed the owner, e.g. acknowledging an unowned case) the owner's then the
        status's."""
        if type == CaseEventType.STATUS:
            found = []
            if "owner_to" in details:
                owner = {"previous_owner": details.get("owner_from"), "owner": case.owner}
                found.append((ev.CASE_OWNER_CHANGED, {**owner, "by": actor}))
            status = self._status(actor, details)
            return found + ([status] if status else [])
        one = self._event(session, case, actor, type, details)
        return [one] if one else []

    def _event(
        self,
        session: Session,
        case: Case,
        actor: str | None,
        type: CaseEventType,
        details: dict[str, Any],
    ) -> tuple[str, dict[str, Any]] | None:
        if type == CaseEventType.OPENED:
            return ev.CASE_OPENED, {"by": actor}
        handed_back = type == CaseEventType.HANDED_BACK and details.get("from") != case.owner
        if type == CaseEventType.REASSIGNED or handed_back:
            extra = {"previous_owner": details.get("from"), "owner": case.owner, "by": actor}
            return ev.CASE_OWNER_CHANGED, extra  # handed back: the owner is back from time off
        if type in DECIDED:
            offer = session.get(Offer, int(details.get("offer_id", 0)))
            if offer is None:
                return None
            decision = offer.status if type != CaseEventType.OFFER_APPLIED else OfferStatus.APPROVED
            approval = "policy" if type == CaseEventType.OFFER_APPLIED else "approver"
            extra = {"offer": ev.offer_data(offer), "decision": decision, "by": actor}
            return ev.OFFER_DECIDED, {**extra, "approved_by": approval}
        if type == CaseEventType.SURVEY_ANSWERED:
            answer = session.get(SurveyAnswer, int(details.get("survey_id", 0)))
            return (
                None if answer is None else (ev.SURVEY_ANSWERED, {"survey": ev.survey_data(answer)})
            )
        if type == CaseEventType.TIME_AT_RISK and details.get("why") == "plan complete":
            return self._plan_completed(session, int(details.get("turnover_id", 0)), actor)
        return None

    @staticmethod
    def _status(actor: str | None, details: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        before, after = details.get("from"), details.get("to")
        if after in ev.CLOSED:
            change = ev.STATUS_CHANGES[after]
        elif before in ev.CLOSED:
            change = "reopened"
        else:
            return None
        extra = {"change": change, "from": before, "to": after, "reason": details.get("reason")}
        return ev.CASE_STATUS_CHANGED, {**extra, "by": actor}

    @staticmethod
    def _plan_completed(
        session: Session, turnover_id: int, actor: str | None
    ) -> tuple[str, dict[str, Any]] | None:
        turnover = session.get(Turnover, turnover_id)
        if turnover is None:
            return None
        steps = len(turnover_store.steps(session, turnover.id))
        return ev.PLAN_COMPLETED, {"turnover": ev.turnover_data(turnover, steps), "by": actor}
