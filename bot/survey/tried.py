"""What was tried: the survey's pre-filled account of the case's save offers and how each
ended, so the owner edits a record instead of remembering it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from bot.common.vocab import OfferStatus
from storage.models import Offer

TEXT_MAX = 3000
"""A plain-text input's initial value holds at most 3000 characters (Block Kit reference)."""

_STATUS = {
    OfferStatus.PENDING: "still waiting for approval",
    OfferStatus.APPROVED: "approved",
    OfferStatus.REJECTED: "rejected",
    OfferStatus.COUNTERED: "countered",
}


def tried_text(
    offers: Sequence[Offer],
    currency: str,
    labels: Mapping[str, str],
    money: Callable[[Decimal | None, str], str],
) -> str:
    """One line per offer: type, terms, the decision and the customer's answer; then any
    notes the proposers wrote about earlier attempts. Empty when nothing was offered.

    `labels` names offer types; `money` formats an amount in the account's currency.
    """
    lines: list[str] = []
    for offer in offers:
        lines.append(
            f"- {_terms(offer, currency, labels, money)}: {_ending(offer, currency, money)}"
        )
    notes = [o.tried.strip() for o in offers if o.tried and o.tried.strip()]
    for note in dict.fromkeys(notes):  # the same note on two offers is said once
        lines.append(f"- Also tried: {' '.join(note.split())}")
    text = "\n".join(lines)
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def _terms(
    offer: Offer,
    currency: str,
    labels: Mapping[str, str],
    money: Callable[[Decimal | None, str], str],
) -> str:
    parts = [labels.get(offer.type, offer.type.replace("_", " ").capitalize())]
    if offer.discount_pct is not None:
        parts.append(f"{offer.discount_pct.normalize():f}%")
    parts.append(f"worth {money(offer.value, currency)}")
    if offer.duration:
        parts.append(f"for {' '.join(offer.duration.split())[:100]}")
    return " ".join(parts)


def _ending(offer: Offer, currency: str, money: Callable[[Decimal | None, str], str]) -> str:
    decision = _STATUS.get(offer.status, offer.status)
    if offer.status == OfferStatus.APPROVED and offer.decided_by is None:
        decision = "applied within policy"
    if offer.status == OfferStatus.COUNTERED and offer.counter_value is not None:
        decision = f"countered at {money(offer.counter_value, currency)}"
    if offer.outcome:
        return f"{decision}, customer {offer.outcome}"
    if offer.status in (OfferStatus.APPROVED, OfferStatus.COUNTERED):
        return f"{decision}, no answer from the customer recorded"
    return decision
