"""Which Stripe object an accepted save offer becomes (docs/stripe.md, *Write-back to Stripe*):

- `discount` with a percentage → a coupon (`percent_off`, and `duration` once / repeating
  for N months / forever, from the offer's duration) applied as a discount on the account's
  subscription;
- `free_months` and `extended_trial` → the subscription's trial extended by the offer's
  duration in months (no proration: the customer is not charged meanwhile);
- `credit` → a customer balance credit of the offer's value (or the approver's counter).

Anything else, a countered discount or free period (the counter is an amount, not a
percentage or a length), or a duration Stripe cannot express stays manual, and the thread
says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.common.vocab import OfferStatus, OfferType
from storage.models import Offer

TRIAL_TYPES = (OfferType.FREE_MONTHS, OfferType.EXTENDED_TRIAL)
_MONTHS = re.compile(r"^\s*(\d{1,3})\s*(months?|mos?|m)\s*$", re.IGNORECASE)
_YEARS = re.compile(r"^\s*(\d{1,2})\s*(years?|yrs?|y)\s*$", re.IGNORECASE)
_ONCE = ("once", "one invoice", "1 invoice", "next invoice")
_FOREVER = ("forever", "ongoing", "permanent", "permanently")


class PlanKind(StrEnum):
    """The Stripe change an accepted offer becomes: a coupon, a trial, or a credit."""

    DISCOUNT = "discount"
    TRIAL = "trial"
    CREDIT = "credit"


@dataclass(frozen=True)
class Plan:
    """What to do in Stripe (`kind`); `manual` (why it stays manual) when Stripe cannot
    express the offer."""

    kind: PlanKind | None = None
    percent: Decimal | None = None
    duration: str | None = None  # Stripe's coupon duration: once, repeating, forever
    months: int | None = None
    amount: Decimal | None = None
    manual: str | None = None


def plan_for(offer: Offer) -> Plan:
    """The Stripe change for an approved (or countered) offer the customer accepted."""
    countered = offer.status == OfferStatus.COUNTERED
    if offer.type == OfferType.CREDIT:
        amount = offer.counter_value if countered and offer.counter_value else offer.value
        return Plan(kind=PlanKind.CREDIT, amount=amount)
    if offer.type not in (OfferType.DISCOUNT, *TRIAL_TYPES):
        return Plan(manual=f"Stripe has no object for a {offer.type.replace('_', ' ')} offer")
    if countered:
        return Plan(manual="a countered offer's counter is an amount, not its percent or length")
    if offer.type == OfferType.DISCOUNT:
        return _discount(offer)
    months = months_in(offer.duration)
    if months is None:
        return Plan(manual=_LENGTH_HINT)
    return Plan(kind=PlanKind.TRIAL, months=months)


_LENGTH_HINT = 'its duration must be a number of months or years, like "3 months"'


def _discount(offer: Offer) -> Plan:
    pct = offer.discount_pct
    if pct is None or not Decimal(0) < pct <= Decimal(100):
        return Plan(manual="a discount needs a percentage between 0 and 100")
    text = (offer.duration or "").strip().lower()
    if text in _ONCE:
        return Plan(kind=PlanKind.DISCOUNT, percent=pct, duration="once")
    if text in _FOREVER:
        return Plan(kind=PlanKind.DISCOUNT, percent=pct, duration="forever")
    months = months_in(offer.duration)
    if months is None:
        return Plan(manual=_LENGTH_HINT + ', "once" or "forever"')
    return Plan(kind=PlanKind.DISCOUNT, percent=pct, duration="repeating", months=months)


def months_in(duration: str | None) -> int | None:
    """ "3 months" → 3, "1 year" → 12; None for anything else."""
    if not duration:
        return None
    if match := _MONTHS.match(duration):
        months = int(match.group(1))
    elif match := _YEARS.match(duration):
        months = 12 * int(match.group(1))
    else:
        return None
    return months if 0 < months <= 36 else None
