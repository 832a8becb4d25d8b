"""An offer in words, composed in bot for thread lines and DMs (docs/offers.md); the Block
Kit request around it is the presenter's (bot/ports.py)."""

from __future__ import annotations

from bot.common.formatting import money
from bot.common.text import plain, quiet
from bot.common.vocab import OFFER_TYPE_LABELS
from bot.offers.models import OfferView
from storage.models import Offer


def describe_offer(offer: Offer | OfferView, currency: str, *, mrkdwn: bool = True) -> str:
    """ "Discount 5% worth $2,000 for 3 months": for mrkdwn (the typed duration escaped
    once) or, with `mrkdwn=False`, as plain text for an input's initial value."""
    parts = [OFFER_TYPE_LABELS.get(offer.type, offer.type)]
    if offer.discount_pct is not None:
        parts.append(f"{offer.discount_pct.normalize():f}%")
    parts.append(f"worth {money(offer.value, currency)}")
    if offer.duration:
        duration = quiet(offer.duration, 100) if mrkdwn else plain(offer.duration, 100)
        parts.append(f"for {duration}")
    return " ".join(parts)
