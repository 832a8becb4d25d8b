"""The outbound events and the one JSON shape each is published with (docs/webhooks.md, *Outbound
webhooks*). Every body is `{"type": <event>, "timestamp": <ISO 8601 UTC>, "data": {…}}`, the
envelope the Standard Webhooks specification recommends; amounts are decimal strings in the
account's currency, people are Slack user IDs, dates ISO 8601.

Which change makes which event: `bot.outbound.service.CaseEvents` reads the case timeline
(every change to a case is an event there, bot/cases/timeline.py); the dunning ladder
publishes `invoice.ladder_step` itself (it is about an invoice, not a case).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.outbound.names import (  # noqa: F401  (re-exported: the events' names)
    CASE_OPENED,
    CASE_OWNER_CHANGED,
    CASE_STATUS_CHANGED,
    CLOSED,
    EVENT_TYPES,
    LADDER_STEP,
    OFFER_DECIDED,
    PLAN_COMPLETED,
    STATUS_CHANGES,
    SURVEY_ANSWERED,
)
from storage.models import Account, Case, Invoice, Offer, SurveyAnswer, Turnover


def envelope(event_type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The published body: type, when the change happened (UTC) and the event's data."""
    return {"type": event_type, "timestamp": iso(at), "data": data}


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def account_data(account: Account) -> dict[str, Any]:
    """`account`: the fields a CRM keys on (external_id is Savedesk's key everywhere)."""
    return {
        "external_id": account.external_id,
        "name": account.name,
        "stripe_customer_id": account.stripe_customer_id,
        "arr": amount(account.arr),
        "currency": account.currency,
        "csm": account.csm,
        "account_owner": account.account_owner,
    }


def case_data(case: Case, account: Account) -> dict[str, Any]:
    """`case`: the case as it is after the change."""
    return {
        "id": case.id,
        "track": case.track,
        "kind": case.kind,
        "status": case.status,
        "risk": case.risk,
        "owner": case.owner,
        "csm": case.csm,
        "arr_at_risk": amount(case.arr_at_risk),
        "arr_saved": amount(case.arr_saved),
        "offer_cost": amount(case.offer_cost),
        "renewal_date": iso(case.renewal_date),
        "opened_at": iso(case.created_at),
        "closed_at": iso(case.closed_at),
        "account": account_data(account),
    }


def offer_data(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "type": offer.type,
        "value": amount(offer.value),
        "discount_pct": amount(offer.discount_pct),
        "duration": offer.duration,
        "proposer": offer.proposer,
        "approver": offer.approver,
        "status": offer.status,
        "decided_by": offer.decided_by,
        "counter_value": amount(offer.counter_value),
        "note": offer.decision_note,
    }


def survey_data(answer: SurveyAnswer) -> dict[str, Any]:
    return {
        "id": answer.id,
        "stated_reason": answer.stated_reason,
        "root_cause": answer.root_cause,
        "controllable": answer.controllable,
        "competitor": answer.competitor,
        "tried": answer.tried,
        "would_come_back": answer.would_come_back,
        "involuntary": answer.involuntary,
        "answered_by": answer.answered_by,
        "answered_at": iso(answer.answered_at),
    }


def turnover_data(turnover: Turnover, steps: int) -> dict[str, Any]:
    return {
        "id": turnover.id,
        "contact_name": turnover.contact_name,
        "destination": turnover.destination,
        "new_company": turnover.new_company,
        "steps": steps,
        "time_at_risk_seconds": turnover.time_at_risk_seconds,
        "completed_at": iso(turnover.risk_ended_at),
    }


def invoice_data(invoice: Invoice, days_past_due: int) -> dict[str, Any]:
    return {
        "id": invoice.invoice_id,
        "amount_due": amount(invoice.amount_due),
        "amount_remaining": amount(invoice.amount_remaining),
        "currency": invoice.currency,
        "due_date": iso(invoice.due_date),
        "days_past_due": days_past_due,
        "hosted_invoice_url": invoice.hosted_invoice_url,
    }
