"""The save-offer modals: propose (with the case's offer history) and counter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.common.vocab import OFFER_TYPE_LABELS as OFFER_TYPES
from bot.common.vocab import OfferOutcome, OfferStatus
from bot.offers.concessions import MANAGER_AT, Concession
from bot.offers.models import OfferView
from bot.offers.words import describe_offer
from slack_edge import inputs
from slack_edge.modals import CaseMeta, OfferMeta, modal
from slack_edge.offer_messages import concession_lines, offer_status_line
from slack_edge.text import fit, plain

PROPOSE = "case_offer_view"
COUNTER = "offer_counter_view"
FIELDS = ("type", "value", "discount_pct", "duration", "justification", "tried")


def _history(offers: list[OfferView], currency: str) -> list[Any]:
    if not offers:
        return [ContextBlock(elements=[MarkdownTextObject(text="No offers on this case yet.")])]
    lines = [f"• {describe_offer(o, currency)} — {offer_status_line(o, currency)}" for o in offers]
    blocks: list[Any] = [
        SectionBlock(
            text=MarkdownTextObject(text="*Offers so far*\n" + fit("\n".join(lines), 2900))
        )
    ]
    refused = sorted(
        {
            OFFER_TYPES.get(o.type, o.type)
            for o in offers
            if o.status == OfferStatus.REJECTED or o.outcome == OfferOutcome.DECLINED
        }
    )
    if refused:
        warning = f":warning: Already rejected or declined here: {', '.join(refused)}."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=warning)]))
    return blocks


def tried_so_far(offers: list[OfferView], currency: str) -> str:
    return "\n".join(
        f"{describe_offer(o, currency, mrkdwn=False)} ({o.outcome or o.status})" for o in offers
    )[:3000]


def propose_modal(
    case_id: int, offers: list[OfferView], currency: str, ledger: Sequence[Concession] = ()
) -> dict:
    """The propose modal, with the case's earlier offers, a warning on refused types, and
    the account's concessions of the last 12 months (a third one needs a manager)."""
    tried = tried_so_far(offers, currency)
    ledger_text = concession_lines(ledger, currency)
    if len(ledger) + 1 >= MANAGER_AT:
        ledger_text += (
            f"\n:warning: This would be concession #{len(ledger) + 1} within 12 months: "
            "a manager decides."
        )
    blocks = [
        *_history(offers, currency),
        SectionBlock(text=MarkdownTextObject(text=fit(ledger_text, 2900))),
        inputs.choice("type", "Offer type", OFFER_TYPES),
        inputs.number(
            "value",
            f"Value ({currency})",
            hint="What the concession costs us, in the account's currency.",
        ),
        inputs.number("discount_pct", "Discount %", optional=True),
        inputs.text(
            "duration", "Duration", 100, multiline=False, optional=True, placeholder="e.g. 3 months"
        ),
        inputs.text("justification", "Justification", 2500),
        inputs.text(
            "tried", "Already tried", 2500, optional=True, initial_value=plain(tried, 2500) or None
        ),
    ]
    return modal(PROPOSE, "Propose save offer", "Propose", blocks, CaseMeta(case_id))


def counter_modal(offer_id: int) -> dict:
    blocks = [
        inputs.number("value", "Counter value"),
        inputs.text("note", "Note", 1000, optional=True),
    ]
    return modal(COUNTER, "Counter offer", "Counter", blocks, OfferMeta(offer_id))
