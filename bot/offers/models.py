"""The words of the save-offer domain that leave it: a frozen view of an offer, handed to
handlers and Block Kit builders instead of the ORM row (which belongs to its session)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.common.snapshot import snapshot
from bot.common.vocab import CaseEventType, OfferOutcome, OfferStatus
from storage.models import Offer


class OfferDecision(StrEnum):
    """What an approver decides on a waiting offer (the buttons and the counter modal)."""

    APPROVE = "approve"
    REJECT = "reject"
    COUNTER = "counter"


DECISIONS = {  # the offer's status after each decision
    OfferDecision.APPROVE: OfferStatus.APPROVED,
    OfferDecision.REJECT: OfferStatus.REJECTED,
    OfferDecision.COUNTER: OfferStatus.COUNTERED,
}
DECIDED_EVENTS = {  # the timeline event (`case_events.type`) that records each decision
    OfferStatus.APPROVED: CaseEventType.OFFER_APPROVED,
    OfferStatus.REJECTED: CaseEventType.OFFER_REJECTED,
    OfferStatus.COUNTERED: CaseEventType.OFFER_COUNTERED,
}
ANSWER_EVENTS = {  # the timeline event that records the customer's answer
    OfferOutcome.ACCEPTED: CaseEventType.OFFER_ACCEPTED,
    OfferOutcome.DECLINED: CaseEventType.OFFER_DECLINED,
}


@dataclass(frozen=True)
class OfferView:
    """A save offer as the propose modal's history and the thread's request show it.
    `value` and `counter_value` are in the account's currency; `status` is an `OfferStatus`
    value, `outcome` an `OfferOutcome` value or None."""

    id: int
    type: str
    value: Decimal
    discount_pct: Decimal | None
    duration: str | None
    status: str
    decided_by: str | None
    counter_value: Decimal | None
    decision_note: str | None
    outcome: str | None
    proposer: str
    approver: str
    justification: str
    tried: str | None

    @classmethod
    def of(cls, offer: Offer) -> OfferView:
        """Copy the row's columns while its session is still open."""
        return snapshot(cls, offer)
