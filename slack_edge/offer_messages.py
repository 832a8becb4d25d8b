"""How a save offer reads in Slack: the approval request, edited in place as it moves."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.common.formatting import money
from bot.common.text import quiet, who
from bot.common.vocab import OFFER_TYPE_LABELS, OfferStatus
from bot.offers.concessions import MANAGER_AT, MANAGERS, Concession
from bot.offers.models import OfferView
from bot.offers.words import describe_offer


class OfferAction(StrEnum):
    APPROVE = "offer_approve"
    REJECT = "offer_reject"
    COUNTER = "offer_counter"
    ACCEPTED = "offer_accepted"
    DECLINED = "offer_declined"


def offer_status_line(offer: OfferView, currency: str) -> str:
    """Where the offer stands: waiting, applied, decided by whom, the customer's answer."""
    if offer.status == OfferStatus.PENDING:
        return ":hourglass_flowing_sand: Waiting for approval"
    if offer.status == OfferStatus.APPROVED and offer.decided_by is None:
        line = ":white_check_mark: Applied within policy (no approval needed)"
    elif offer.status == OfferStatus.COUNTERED:
        line = f":left_right_arrow: Countered by {who(offer.decided_by)} at " + money(
            offer.counter_value, currency
        )
    else:
        icon = ":white_check_mark:" if offer.status == OfferStatus.APPROVED else ":x:"
        line = f"{icon} {offer.status.capitalize()} by {who(offer.decided_by)}"
    if offer.decision_note:
        line += f": {quiet(offer.decision_note, 1000)}"
    if offer.outcome:
        line += f" · customer {offer.outcome}"
    return line


def _buttons(offer: OfferView) -> list[ButtonElement]:
    value = str(offer.id)
    if offer.status == OfferStatus.PENDING:
        return [
            ButtonElement(
                text="Approve", action_id=OfferAction.APPROVE.value, value=value, style="primary"
            ),
            ButtonElement(
                text="Reject", action_id=OfferAction.REJECT.value, value=value, style="danger"
            ),
            ButtonElement(text="Counter", action_id=OfferAction.COUNTER.value, value=value),
        ]
    if offer.status in (OfferStatus.APPROVED, OfferStatus.COUNTERED) and offer.outcome is None:
        return [
            ButtonElement(
                text="Customer accepted",
                action_id=OfferAction.ACCEPTED.value,
                value=value,
                style="primary",
            ),
            ButtonElement(
                text="Customer declined", action_id=OfferAction.DECLINED.value, value=value
            ),
        ]
    return []


def concession_lines(ledger: Sequence[Concession], currency: str) -> str:
    """The account's concessions of the last 12 months, one line each (docs/offers.md, *The
    concession ledger*): date, type, value, who approved it."""
    if not ledger:
        return "*Concessions on this account, last 12 months*: none"
    lines = [
        f"• {c.on:%Y-%m-%d}: {OFFER_TYPE_LABELS.get(c.type, c.type)}, {money(c.value, currency)}, "
        + (f"approved by {who(c.approver)}" if c.approver else "within policy")
        + f" (case #{c.case_id})"
        for c in ledger[-10:]
    ]
    head = f"*Concessions on this account, last 12 months* ({len(ledger)})"
    return head + "\n" + "\n".join(lines)


def request_blocks(
    offer: OfferView, currency: str, approvers: list[str], ledger: Sequence[Concession] = ()
) -> tuple[str, list[dict]]:
    """The offer as posted in the thread, with the account's concessions of the last 12
    months; buttons only while something is left to press."""
    head = f"*Save offer #{offer.id}* from {who(offer.proposer)}: {describe_offer(offer, currency)}"
    if offer.status == OfferStatus.PENDING and approvers:
        head += f"\nApproval needed from {' or '.join(who(a) for a in approvers)}"
        if len(ledger) + 1 >= MANAGER_AT and offer.approver == MANAGERS:
            head += (
                f"\n:warning: This would be concession #{len(ledger) + 1} on this account "
                "within 12 months: a manager decides."
            )
    blocks: list = [
        SectionBlock(text=MarkdownTextObject(text=head)),
        SectionBlock(text=MarkdownTextObject(text=f"*Why*\n{quiet(offer.justification, 2800)}")),
        SectionBlock(text=MarkdownTextObject(text=concession_lines(ledger, currency))),
    ]
    if offer.tried:
        tried = f"*Already tried*\n{quiet(offer.tried, 2800)}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=tried)))
    status = offer_status_line(offer, currency)
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=status)]))
    buttons = _buttons(offer)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"offer_{offer.id}", elements=buttons))
    return f"Save offer #{offer.id}: {describe_offer(offer, currency)} — {status}", [
        b.to_dict() for b in blocks
    ]
