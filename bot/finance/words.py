"""The words of the dunning ladder (plain mrkdwn text; Slack specifics live in the adapter).

Each step tells every holder of its role the invoice id, account, amount remaining, days
past due and a link (docs/dunning.md, *The ladder*). The CSM's step asks the CSM to remind
the client; finance still owns the collection. The controller's and CFO's steps come with
a short draft email to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.common.formatting import calendar_day, money, time_token
from bot.common.text import esc
from bot.common.vocab import RenewalAnswer
from bot.policy import ACCOUNT_ROLES, OwnerRole
from storage.models import Account, Case, Invoice, RenewalCheck

LINK_TOKEN = "{thread_link}"
WRITERS = frozenset({"controller", "cfo"})


def days_text(days: int) -> str:
    return f"{days} day{'s' if days != 1 else ''} past due"


def passed_text(passed: list[int]) -> str:
    """Names the earlier steps an invoice first seen late went past without a message."""
    if not passed:
        return ""
    names = " and ".join(f"{d}-day" for d in passed)
    plural = "s" if len(passed) > 1 else ""
    return f"It was already past the {names} step{plural} when Savedesk first saw it."


@dataclass(frozen=True)
class StepView:
    """What one ladder step says about one invoice."""

    invoice: Invoice
    account: Account
    step_days: int
    notify: str
    days_past_due: int
    passed: list[int]
    link: str | None  # the hosted invoice URL
    thread: bool = False  # without a URL, link the account's case thread (outbox token)
    instead: str | None = None  # why the step went to someone else (a person not real)

    @property
    def summary(self) -> str:
        inv, acc = self.invoice, self.account
        return (
            f"invoice *{esc(inv.invoice_id)}* for *{esc(acc.name)}*: "
            f"{money(inv.amount_remaining, inv.currency)} remaining, "
            f"{days_text(self.days_past_due)}"
        )

    @property
    def link_text(self) -> str:
        if self.link:
            return f"<{self.link}|Open the invoice>"
        if self.thread:
            return f"<{LINK_TOKEN}|Open the case thread>"
        return "_No invoice link and no case thread for this account yet._"


def step_dm(view: StepView) -> str:
    """The DM to one person holding the step's role."""
    lines = [f":money_with_wings: *{view.step_days}-day step* — {view.summary}."]
    if view.instead:
        lines.append(f"_{view.instead}._")
    if view.notify in ACCOUNT_ROLES and view.instead:
        lines.append(
            "Please see that the client is reminded that this invoice is overdue. Finance "
            "owns the collection."
        )
    elif view.notify == OwnerRole.CSM:
        lines.append(
            "Please remind the client that this invoice is overdue. Finance owns the "
            "collection; you are told so the client hears it from you."
        )
    elif view.notify in WRITERS:
        lines.append("Time to write to the client. A short draft:")
        lines.append(draft_email(view))
    else:
        lines.append("Please follow up on the payment.")
    if view.passed:
        lines.append(passed_text(view.passed))
    lines.append(view.link_text)
    return "\n".join(lines)


def draft_email(view: StepView) -> str:
    """A short, plain collection email, quoted so it can be copied."""
    inv = view.invoice
    amount = money(inv.amount_remaining, inv.currency)
    pay = f" You can pay it here: {view.link}" if view.link else ""
    body = (
        f"Hello {view.account.name} team,\n"
        f"Invoice {inv.invoice_id} ({amount}) is now {days_text(view.days_past_due)}.{pay} "
        "If it has already been paid, or something is holding it up, please reply and we "
        "will sort it out together.\nThank you."
    )
    return "\n".join(f"> {esc(line)}" for line in body.splitlines())


def finance_line(view: StepView, notified: list[str]) -> str:
    """The line in `channels.finance` that records the step."""
    people = " ".join(f"<@{p}>" for p in notified) or f"nobody holds `{view.notify}`"
    text = f":ladder: Dunning {view.step_days}-day step, {view.summary} → {people}."
    if view.instead:
        text += f" ({view.instead}.)"
    if view.passed:
        text += f" {passed_text(view.passed)}"
    return text + f" {view.link_text}"


def renewal_question(
    account: Account,
    renewal: date,
    case: Case | None,
    person: str | None,
    passed: Sequence[str] = (),
) -> str:
    """The pre-renewal question (docs/dunning.md, *Pre-renewal check*): ARR, renewal
    date, any open case, and who was passed over as not a real person (`passed`)."""
    text = (
        f":receipt: OK to send the renewal invoice for *{esc(account.name)}* "
        f"({money(account.arr, account.currency)} ARR, renews on {calendar_day(renewal)})?"
    )
    if case is not None:
        text += f"\nThere is an open churn case on this account: <{LINK_TOKEN}|case #{case.id}>."
    if person is None:
        why = "; ".join(passed) or "The account has no CSM or account owner"
        text += f"\n_{why}: finance, please answer._"
    elif passed:
        text += f"\n_{'; '.join(passed)}: you are asked instead._"
    return text


def renewal_nudge(account: Account, renewal: date) -> str:
    return (
        f":bell: Still waiting for your answer: OK to send the renewal invoice for "
        f"*{esc(account.name)}* (renews on {calendar_day(renewal)})?"
    )


def renewal_answered(check: RenewalCheck, account: Account) -> str:
    """The answer, who gave it and when, for `channels.finance` and the question itself."""
    head = (
        f"Renewal invoice for *{esc(account.name)}* (renews on {calendar_day(check.renewal_date)})"
    )
    when = time_token(check.answered_at) if check.answered_at else "unknown time"
    if check.answer == RenewalAnswer.YES:
        return f":white_check_mark: {head}: *OK to send*, said <@{check.answered_by}> on {when}."
    reason = esc(check.reason or "")
    held = f":raised_hand: {head}: *Hold*, said <@{check.answered_by}> on {when}: {reason}"
    if check.released_at is None:
        return held
    released = time_token(check.released_at)
    return f"{held}\n:arrow_forward: *Hold released* by <@{check.released_by}> on {released}."


def last_step_line(view: StepView) -> str:
    """On the account's churn case: an invoice reached the ladder's last step."""
    return (
        f":rotating_light: *Overdue invoice at the last dunning step* ({view.step_days} days): "
        f"{view.summary}. Finance owns the collection."
    )
