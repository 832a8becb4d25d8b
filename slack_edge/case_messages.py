"""What Savedesk says in Slack about a case: the thread root, timeline lines, DMs.

Built with slack_sdk's Block Kit models so Slack's limits are checked before Slack sees
the payload. Action ids live here because the root message and the listeners share them.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from enum import StrEnum

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.cases.models import AccountView, CaseView
from bot.cases.words import CLOSED, case_title, kind_label, outcome
from bot.common.formatting import calendar_day, money, time_token
from bot.common.text import esc, quiet, who
from bot.common.vocab import CaseStatus
from slack_edge.confirm import confirm_churned
from slack_edge.labels import RISK_LABELS, STATUS_LABELS
from slack_edge.text import CONTEXT_TEXT, SECTION_TEXT, fit
from storage.models import OPEN_STATUSES

log = logging.getLogger(__name__)


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


def _button(
    label: str,
    action: CaseAction,
    case: CaseView,
    style: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    return ButtonElement(
        text=label, action_id=action.value, value=str(case.id), style=style, confirm=confirm
    )


def _churned(case: CaseView) -> ButtonElement:
    confirm = confirm_churned(
        f"Case #{case.id} closes as churned and counts as churned ARR in the report; "
        "it can be reopened later."
    )
    return _button("Mark churned", CaseAction.CHURNED, case, "danger", confirm)


def case_buttons(case: CaseView) -> list[ButtonElement]:
    """Only the buttons that apply to the case's status."""
    if case.status == CaseStatus.MOVED_ON:  # the customer may still leave: that is a churn
        return [
            _button("Reopen", CaseAction.REOPEN, case),
            _churned(case),
        ]
    if case.status not in OPEN_STATUSES:
        return [_button("Reopen", CaseAction.REOPEN, case)]
    buttons = []
    if case.status == CaseStatus.NEW:
        buttons.append(_button("Acknowledge", CaseAction.ACKNOWLEDGE, case, "primary"))
    buttons += [
        _button("Reassign", CaseAction.REASSIGN, case),
        _button("Risk level", CaseAction.RISK, case),
        _button("Add note", CaseAction.NOTE, case),
        _button("Propose save offer", CaseAction.OFFER, case),
        _button("Remind me", CaseAction.REMIND, case),
        _button("Snooze", CaseAction.SNOOZE, case),
        _button("Mark saved", CaseAction.SAVED, case, "primary"),
        _churned(case),
        _button("Move on", CaseAction.MOVE_ON, case),  # opens a modal: no dialog needed
    ]
    if case.csm:
        buttons.append(_button("Remove CSM", CaseAction.REMOVE_CSM, case))
    return buttons


def case_root(
    case: CaseView, account: AccountView, extra: list[str] | None = None
) -> tuple[str, list[dict]]:
    """The thread root: everything about the case at a glance, updated in place; `extra`
    lines (mrkdwn) come from other domains, e.g. each departed contact's plan progress.

    Never raises: a root that cannot be rendered (a limit we did not foresee) falls back to
    a plain one, so the case and its signal are kept (the unit of work must not roll back).
    """
    try:
        return _case_root(case, account, extra)
    except Exception:
        log.exception("case %s: the root could not be rendered; posting a plain one", case.id)
        title = case_title(case, account)
        text = f"*{title}* — {STATUS_LABELS.get(case.status, case.status)}, owner {who(case.owner)}"
        return fit(text, SECTION_TEXT), [
            SectionBlock(text=MarkdownTextObject(text=fit(text, SECTION_TEXT))).to_dict(),
            ActionsBlock(block_id=f"case_{case.id}", elements=case_buttons(case)).to_dict(),
        ]


def _case_root(
    case: CaseView, account: AccountView, extra: list[str] | None
) -> tuple[str, list[dict]]:
    title = case_title(case, account)
    fields = [
        f"*Account*\n{esc(account.name)} (`{esc(account.external_id)}`)",
        f"*Kind*\n{kind_label(case.kind)}",
        f"*ARR at risk*\n{money(case.arr_at_risk, account.currency)}",
        f"*Renewal*\n{calendar_day(case.renewal_date)}",
        f"*Owner*\n{who(case.owner)}",
        f"*CSM*\n{who(case.csm)}",
        f"*Status*\n{STATUS_LABELS.get(case.status, case.status)}",
        f"*Risk*\n{RISK_LABELS.get(case.risk, case.risk)}",
    ]
    result = outcome(case, account.currency) if case.arr_at_risk is not None else None
    if result and case.status in CLOSED:
        fields.append(f"*Outcome*\n{result[0].upper()}{result[1:]}")
    blocks: list = [
        SectionBlock(text=MarkdownTextObject(text=f"*{title}*")),
        SectionBlock(fields=[MarkdownTextObject(text=f) for f in fields]),
    ]
    if case.stated_reason:
        reason = quiet(case.stated_reason, SECTION_TEXT - len("*Stated reason*\n>"))
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Stated reason*\n>{reason}")))
    if survey := (case.details or {}).get("survey"):
        competitor = esc(survey["competitor"]) if survey.get("competitor") else "_none named_"
        cause = f"*Root cause*\n{esc(survey['root_cause'])}"
        found = [
            MarkdownTextObject(text=cause),
            MarkdownTextObject(text=f"*Competitor*\n{competitor}"),
        ]
        blocks.append(SectionBlock(fields=found))
    overdue = (case.details or {}).get("overdue_invoice")
    if isinstance(overdue, dict) and overdue.get("text"):  # set by the dunning ladder
        blocks.append(SectionBlock(text=MarkdownTextObject(text=str(overdue["text"])[:2900])))
    if extra:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(extra)[:3000])))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_source_line(case, account))]))
    if latest := latest_change(case):
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=latest)]))
    blocks.append(ActionsBlock(block_id=f"case_{case.id}", elements=case_buttons(case)))
    text = f"{title} — {STATUS_LABELS.get(case.status, case.status)}, owner {who(case.owner)}"
    return text, [b.to_dict() for b in blocks]


def latest_change(case: CaseView) -> str | None:
    """The root's line for the case's latest change shown there instead of in the thread
    (`cases.details["latest"]`, set by the timeline), with its time; None if there is none."""
    latest = (case.details or {}).get("latest")
    if not isinstance(latest, dict) or not latest.get("text"):
        return None
    try:
        when = f" · {time_token(datetime.fromisoformat(str(latest['at'])))}"
    except (KeyError, ValueError):
        when = ""
    return fit(f":arrows_counterclockwise: {latest['text']}{when}", CONTEXT_TEXT)


def _source_line(case: CaseView, account: AccountView) -> str:
    parts = [f"Source: {esc(case.source)}"]
    if case.source_link:
        parts.append(f"<{case.source_link}|original message>")
    parts.append(f"opened {time_token(case.created_at)}")
    if account.is_stub:
        parts.append(":warning: account not in Savedesk yet (stub created; import it)")
    return " · ".join(parts)


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


def nudge_blocks(case: CaseView, text: str, with_link: bool) -> tuple[str, list[dict]]:
    """A follow-up DM whose buttons act on the case directly."""
    buttons = []
    if case.status == CaseStatus.NEW:
        buttons.append(_button("Acknowledge", CaseAction.ACKNOWLEDGE, case, "primary"))
    buttons.append(_button("Snooze", CaseAction.SNOOZE, case))
    if with_link:
        buttons.append(
            ButtonElement(text="Open thread", url="{thread_link}", action_id="open_thread")
        )
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=fit(text, SECTION_TEXT))),
        ActionsBlock(elements=buttons),
    ]
    return text, [b.to_dict() for b in blocks]


def nudge_retired_blocks(text: str, note: str) -> tuple[str, list[dict]]:
    """A follow-up DM whose buttons no longer apply (the case closed, or is someone else's
    now): its text as it was, and `note` (mrkdwn) where the buttons were."""
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=fit(text, SECTION_TEXT))),
        ContextBlock(elements=[MarkdownTextObject(text=fit(note, CONTEXT_TEXT))]),
    ]
    return text, [b.to_dict() for b in blocks]


def move_on_request_blocks(
    case: CaseView, actor: str, reason: str, managers: tuple[str, ...]
) -> tuple[str, list[dict]]:
    """A request in the thread for a manager to confirm moving on a high-ARR case."""
    mentions = " ".join(who(m) for m in managers) or "a manager"
    text = (
        f"{who(actor)} wants to move on from this case ({quiet(reason, 2000)}). "
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
