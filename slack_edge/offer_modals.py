"""The save-offer modals: propose (with the case's offer history) and counter."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)

from bot.offers.models import OfferView
from bot.vocab import OfferStatus
from slack_edge.modals import CaseMeta, OfferMeta, modal
from slack_edge.offer_messages import OFFER_TYPES, describe_offer, offer_status_line

PROPOSE = "case_offer_view"
COUNTER = "offer_counter_view"
FIELDS = ("type", "value", "discount_pct", "duration", "justification", "tried")


def _history(offers: list[OfferView], currency: str) -> list[Any]:
    if not offers:
        return [ContextBlock(elements=[MarkdownTextObject(text="No offers on this case yet.")])]
    lines = [f"• {describe_offer(o, currency)} — {offer_status_line(o, currency)}" for o in offers]
    blocks: list[Any] = [
        SectionBlock(text=MarkdownTextObject(text="*Offers so far*\n" + "\n".join(lines)[:2900]))
    ]
    refused = sorted(
        {
            OFFER_TYPES.get(o.type, o.type)
            for o in offers
            if o.status == OfferStatus.REJECTED or o.outcome == "declined"
        }
    )
    if refused:
        warning = f":warning: Already rejected or declined here: {', '.join(refused)}."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=warning)]))
    return blocks


def tried_so_far(offers: list[OfferView], currency: str) -> str:
    return "\n".join(f"{describe_offer(o, currency)} ({o.outcome or o.status})" for o in offers)[
        :3000
    ]


def propose_modal(case_id: int, offers: list[OfferView], currency: str) -> dict:
    types = [Option(text=label, value=key) for key, label in OFFER_TYPES.items()]
    tried = tried_so_far(offers, currency)
    blocks = [
        *_history(offers, currency),
        InputBlock(
            block_id="type",
            label="Offer type",
            element=StaticSelectElement(action_id="type", options=types),
        ),
        InputBlock(
            block_id="value",
            label=f"Value ({currency})",
            hint="What the concession costs us, in the account's currency.",
            element=NumberInputElement(action_id="value", is_decimal_allowed=True),
        ),
        InputBlock(
            block_id="discount_pct",
            label="Discount %",
            optional=True,
            element=NumberInputElement(action_id="discount_pct", is_decimal_allowed=True),
        ),
        InputBlock(
            block_id="duration",
            label="Duration",
            optional=True,
            element=PlainTextInputElement(
                action_id="duration", max_length=100, placeholder="e.g. 3 months"
            ),
        ),
        InputBlock(
            block_id="justification",
            label="Justification",
            element=PlainTextInputElement(
                action_id="justification", multiline=True, max_length=2500
            ),
        ),
        InputBlock(
            block_id="tried",
            label="Already tried",
            optional=True,
            element=PlainTextInputElement(
                action_id="tried", multiline=True, max_length=2500, initial_value=tried or None
            ),
        ),
    ]
    return modal(PROPOSE, "Propose save offer", "Propose", blocks, CaseMeta(case_id))


def counter_modal(offer_id: int) -> dict:
    blocks = [
        InputBlock(
            block_id="value",
            label="Counter value",
            element=NumberInputElement(action_id="value", is_decimal_allowed=True),
        ),
        InputBlock(
            block_id="note",
            label="Note",
            optional=True,
            element=PlainTextInputElement(action_id="note", multiline=True, max_length=1000),
        ),
    ]
    return modal(COUNTER, "Counter offer", "Counter", blocks, OfferMeta(offer_id))
