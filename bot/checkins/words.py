"""What the save check-ins say, in Slack mrkdwn (docs/reports.md, *Did the save last?*)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.common.formatting import whole_money as money
from bot.common.text import esc
from bot.common.vocab import CheckinAnswer
from storage.models import Account, Case, SaveCheckin


def checkpoint_label(checkpoint: str) -> str:
    """ "90" → "90-day"; "renewal" → "renewal"."""
    return f"{checkpoint}-day" if checkpoint.isdigit() else checkpoint


def question(checkin: SaveCheckin, case: Case, account: Account) -> str:
    """ "Is Acme still a customer?" with the save it asks about."""
    saved = f"{checkin.saved_at:%Y-%m-%d}"
    arr = money(checkin.arr_saved or 0, account.currency)
    return (
        f":mag: *{checkpoint_label(checkin.checkpoint).capitalize()} check-in* on case "
        f"#{case.id}: is *{esc(account.name)}* still a customer? The case was saved on "
        f"{saved} with {arr} ARR."
    )


def answered(checkin: SaveCheckin, account: Account, by: str) -> str:
    """The check-in's answer, as the question's message and the timeline show it."""
    name = f"*{esc(account.name)}*"
    if checkin.answer == CheckinAnswer.CUSTOMER:
        what = f"{name} is still a customer"
    elif checkin.answer == CheckinAnswer.DOWNGRADED:
        what = f"{name} downgraded to {money(checkin.new_arr or 0, account.currency)} ARR"
    else:
        what = f"{name} churned"
    return f"{by} answered the {checkpoint_label(checkin.checkpoint)} check-in: {what}."


def stripe_answered(
    checkin: SaveCheckin, account: Account, subscriptions: list[str], at: datetime
) -> str:
    """Stripe answered by itself: a subscription is active past the checkpoint."""
    subs = ", ".join(subscriptions[:3])
    text = answered(checkin, account, "Stripe")
    return f"{text} (subscription {subs} active past {at:%Y-%m-%d})"


def asked(checkin: SaveCheckin, person: str | None) -> str:
    whom = f"<@{person}>" if person else "the thread"
    label = checkpoint_label(checkin.checkpoint)
    return f"Asked {whom} whether the account is still a customer ({label} check-in)."


NOTHING_LEFT = "A downgrade to nothing is a churn: enter the ARR they still pay, or answer Churned."


def not_less(new_arr: Decimal, arr_saved: Decimal | None, currency: str) -> str:
    return (
        f"{money(new_arr, currency)} is not less than the ARR saved "
        f"({money(arr_saved or 0, currency)}): answer Still a customer instead."
    )
