"""What Savedesk says in Slack about a case: the thread root, timeline lines, DMs.

Built with slack_sdk's Block Kit models so Slack's limits are checked before Slack sees
the payload. Action ids live here because the root message and the listeners share them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.vocab import KIND_LABELS, RISK_LABELS, STATUS_LABELS
from storage.models import OPEN_STATUSES, Account, Case


class CaseAction(StrEnum):
    """Action ids of the buttons on a case (the value is always the case id)."""

    ACKNOWLEDGE = "case_acknowledge"
    REASSIGN = "case_reassign"
    RISK = "case_risk"
    NOTE = "case_note"
    OFFER = "case_offer"
    REMIND = "case_remind"
    SNOOZE = "case_snooze"
    SAVED = "case_saved"
    CHURNED = "case_churned"
    MOVE_ON = "case_move_on"
    REOPEN = "case_reopen"
    REMOVE_CSM = "case_remove_csm"
    OPEN_FROM_MESSAGE = "case_open_from_message"
    MOVE_ON_CONFIRM = "case_move_on_confirm"
    MOVE_ON_KEEP = "case_move_on_keep"


CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(amount: Decimal | None, currency: str = "USD") -> str:
    if amount is None:
        return "unknown"
    whole = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{whole}" if sign else f"{whole} {currency}"


def date_token(day: date | None) -> str:
    """A date each reader sees in their own locale; noon UTC keeps the same calendar day."""
    if day is None:
        return "unknown"
    epoch = int(datetime.combine(day, time(12), tzinfo=UTC).timestamp())
    return f"<!date^{epoch}^{{date_long}}|{day.isoformat()}>"


def time_token(when: datetime) -> str:
    """A moment each reader sees in their own timezone."""
    epoch = int(when.timestamp())
    fallback = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>"


def who(user: str | None) -> str:
    return f"<@{user}>" if user else "_nobody_"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def case_title(case: Case, account: Account) -> str:
    return f"{kind_label(case.kind)}: {esc(account.name)} (case #{case.id})"


def _button(label: str, action: CaseAction, case: Case, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=label, action_id=action.value, value=str(case.id), style=style)


def case_buttons(case: Case) -> list[ButtonElement]:
    """Only the buttons that apply to the case's status."""
    if case.status == "moved_on":  # the customer may still leave: that is a churn
        return [
            _button("Reopen", CaseAction.REOPEN, case),
            _button("Mark churned", CaseAction.CHURNED, case, "danger"),
        ]
    if case.status not in OPEN_STATUSES:
        return [_button("Reopen", CaseAction.REOPEN, case)]
    buttons = []
    if case.status == "new":
        buttons.append(_button("Acknowledge", CaseAction.ACKNOWLEDGE, case, "primary"))
    buttons += [
        _button("Reassign", CaseAction.REASSIGN, case),
        _button("Risk level", CaseAction.RISK, case),
        _button("Add note", CaseAction.NOTE, case),
        _button("Propose save offer", CaseAction.OFFER, case),
        _button("Remind me", CaseAction.REMIND, case),
        _button("Snooze", CaseAction.SNOOZE, case),
        _button("Mark saved", CaseAction.SAVED, case, "primary"),
        _button("Mark churned", CaseAction.CHURNED, case, "danger"),
        _button("Move on", CaseAction.MOVE_ON, case),
    ]
    if case.csm:
        buttons.append(_button("Remove CSM", CaseAction.REMOVE_CSM, case))
    return buttons


def case_root(case: Case, account: Account) -> tuple[str, list[dict]]:
    """The thread root: everything about the case at a glance, updated in place."""
    title = case_title(case, account)
    fields = [
        f"*Account*\n{esc(account.name)} (`{esc(account.external_id)}`)",
        f"*Kind*\n{kind_label(case.kind)}",
        f"*ARR at risk*\n{money(case.arr_at_risk, account.currency)}",
        f"*Renewal*\n{date_token(case.renewal_date)}",
        f"*Owner*\n{who(case.owner)}",
        f"*CSM*\n{who(case.csm)}",
        f"*Status*\n{STATUS_LABELS.get(case.status, case.status)}",
        f"*Risk*\n{RISK_LABELS.get(case.risk, case.risk)}",
    ]
    blocks: list = [
        SectionBlock(text=MarkdownTextObject(text=f"*{title}*")),
        SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields]),
    ]
    if case.stated_reason:
        reason = quiet(case.stated_reason[:2900])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Stated reason*\n>{reason}")))
    if survey := (case.details or {}).get("survey"):
        competitor = esc(survey["competitor"]) if survey.get("competitor") else "_none named_"
        cause = f"*Root cause*\n{esc(survey['root_cause'])}"
        found = [
            MarkdownTextObject(text=cause),
            MarkdownTextObject(text=f"*Competitor*\n{competitor}"),
        ]
        blocks.append(SectionBlock(fields=found))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_source_line(case, account))]))
    blocks.append(ActionsBlock(block_id=f"case_{case.id}", elements=case_buttons(case)))
    text = f"{title} — {STATUS_LABELS.get(case.status, case.status)}, owner {who(case.owner)}"
    return text, [b.to_dict() for b in blocks]


def _source_line(case: Case, account: Account) -> str:
    parts = [f"Source: {case.source}"]
    if case.source_link:
        parts.append(f"<{case.source_link}|original message>")
    parts.append(f"opened {time_token(case.created_at)}")
    if account.is_stub:
        parts.append(":warning: account not in Savedesk yet (stub created; import it)")
    return " · ".join(parts)


def owner_dm(case: Case, account: Account, note: str | None = None) -> str:
    """The owner's DM; `{thread_link}` is replaced with the thread's permalink on delivery."""
    lines = [
        f":rotating_light: You own a new case: *{case_title(case, account)}*",
        f"ARR at risk {money(case.arr_at_risk, account.currency)}, "
        f"renewal {date_token(case.renewal_date)}.",
    ]
    if case.stated_reason:
        lines.append(f">{quiet(case.stated_reason[:500])}")
    if note:
        lines.append(f"_{note}_")
    lines.append("<{thread_link}|Open the case thread>")
    return "\n".join(lines)


def prompt_blocks(channel: str, ts: str, phrase: str) -> tuple[str, list[dict]]:
    """A threaded prompt to open a case from a message that sounds like churn."""
    text = f"This sounds like churn (“{phrase}”). Open a case so it has an owner?"
    value = json.dumps({"channel": channel, "ts": ts})
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f":mag: {text}")),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Open a case",
                    action_id=CaseAction.OPEN_FROM_MESSAGE.value,
                    value=value,
                    style="primary",
                )
            ]
        ),
    ]
    return text, [b.to_dict() for b in blocks]


def nudge_blocks(case: Case, text: str, with_link: bool) -> tuple[str, list[dict]]:
    """A follow-up DM whose buttons act on the case directly."""
    buttons = []
    if case.status == "new":
        buttons.append(_button("Acknowledge", CaseAction.ACKNOWLEDGE, case, "primary"))
    buttons.append(_button("Snooze", CaseAction.SNOOZE, case))
    if with_link:
        buttons.append(
            ButtonElement(text="Open thread", url="{thread_link}", action_id="open_thread")
        )
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=text[:2900])),
        ActionsBlock(elements=buttons),
    ]
    return text, [b.to_dict() for b in blocks]


OFFBOARDING_CHECKLIST = (
    ":wave: *Offboarding checklist* (a good last impression keeps the door open):\n"
    "• Offer to help them export their data\n"
    "• Confirm the end date and the last invoice in writing\n"
    "• Thank the champion personally\n"
    "• Note what would bring them back, for the survey"
)


def move_on_request_blocks(
    case: Case, actor: str, reason: str, managers: tuple[str, ...]
) -> tuple[str, list[dict]]:
    """A request in the thread for a manager to confirm moving on a high-ARR case."""
    mentions = " ".join(who(m) for m in managers) or "a manager"
    text = (
        f"{who(actor)} wants to move on from this case ({reason[:2000]}). "
        f"{mentions}, please confirm."
    )
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f":arrow_right: {text}")),
        ActionsBlock(
            elements=[
                _button("Confirm move on", CaseAction.MOVE_ON_CONFIRM, case, "danger"),
                _button("Keep working", CaseAction.MOVE_ON_KEEP, case),
            ]
        ),
    ]
    return text, [b.to_dict() for b in blocks]


def esc(text: str) -> str:
    """Text from our own data (CSV, webhooks) shown in mrkdwn: Slack's three escapes."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quiet(text: str) -> str:
    """Words copied from a Slack message: keep mentions of people, drop broadcast pings
    (<!channel>, <!here>, <!everyone>, <!subteam^…>) so a copy never re-pings a channel."""
    return text.replace("<!", "&lt;!")
