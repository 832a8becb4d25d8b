"""What a case says in words, composed in bot with the mrkdwn helpers (bot/common/text.py): the
title, the outcome, the status line, the owner's DM (docs/ARCHITECTURE.md, *Packages and
arrows*). Block Kit around these lives in slack_edge behind the presenter port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.common.formatting import calendar_day, money
from bot.common.text import esc, quiet, who
from bot.common.vocab import KIND_LABELS, CaseStatus

if TYPE_CHECKING:
    from bot.cases.models import AccountView, CaseView
    from bot.people.standing import Person
    from storage.models import Account, Case

CLOSED = (CaseStatus.SAVED, CaseStatus.CHURNED, CaseStatus.MOVED_ON)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def case_title(case: Case | CaseView, account: Account | AccountView) -> str:
    return f"{kind_label(case.kind)}: {esc(account.name)} (case #{case.id})"


def outcome(case: Case | CaseView, currency: str) -> str | None:
    """What a closed case came to, in the account's currency: the number a manager wants."""
    arr = money(case.arr_saved if case.status == CaseStatus.SAVED else case.arr_at_risk, currency)
    if case.status == CaseStatus.SAVED:
        cost = f" (offer cost {money(case.offer_cost, currency)})" if case.offer_cost else ""
        return f"saved {arr} ARR{cost}"
    if case.status == CaseStatus.CHURNED:
        return f"{arr} ARR lost"
    if case.status == CaseStatus.MOVED_ON:
        return f"{arr} ARR let go"
    return None


def status_line(
    case: Case,
    actor: str | None,
    previous: str,
    currency: str,
    reason: str | None,
    by: str | None = None,
) -> str:
    """The timeline line for a change of status, e.g. "<@U1> marked the case saved — saved
    $40,000 ARR (offer cost $2,000)."; the reason follows after a colon. Without an `actor`
    (a system changed it), `by` names the system, e.g. "Stripe"."""
    verbs = {
        CaseStatus.ACKNOWLEDGED: "acknowledged the case",
        CaseStatus.WORKING: (
            "reopened the case" if previous in CLOSED else "started working on the case"
        ),
        CaseStatus.SAVED: "marked the case saved",
        CaseStatus.CHURNED: "marked the case churned",
        CaseStatus.MOVED_ON: "moved on from the case",
    }
    subject = who(actor) if actor else (by or "Savedesk")
    line = f"{subject} {verbs.get(case.status, f'set the case to {case.status}')}"
    result = outcome(case, currency) if case.arr_at_risk is not None else None
    if result:
        line += f" — {result}"
    return line + (f": {quiet(reason, 2000)}" if reason else ".")


def owner_dm(case: Case | CaseView, account: Account | AccountView, note: str | None = None) -> str:
    """The owner's DM; `{thread_link}` is replaced with the thread's permalink on delivery."""
    lines = [
        f":rotating_light: You own a new case: *{case_title(case, account)}*",
        f"ARR at risk {money(case.arr_at_risk, account.currency)}, "
        f"renewal {calendar_day(case.renewal_date)}.",
    ]
    if case.stated_reason:
        lines.append(f">{quiet(case.stated_reason, 500)}")
    if note:
        lines.append(f"_{note}_")
    lines.append("<{thread_link}|Open the case thread>")
    return "\n".join(lines)


OFFBOARDING_CHECKLIST = (
    ":wave: *Offboarding checklist* (a good last impression keeps the door open):\n"
    "• Offer to help them export their data\n"
    "• Confirm the end date and the last invoice in writing\n"
    "• Thank the champion personally\n"
    "• Note what would bring them back, for the survey"
)


def cover_gone(person: Person) -> str:
    """A DM to whoever chose `person` (no longer a real person) to cover their time off
    (docs/hours.md)."""
    return (
        f":warning: {who(person.user_id)} {person.why}, so they no longer cover your time off: "
        "the save desk (or a manager) covers instead."
    )
