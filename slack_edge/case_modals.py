"""Modals for cases, built with slack_sdk's Block Kit models (limits checked locally)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    ExternalDataSelectElement,
    MarkdownTextObject,
    Option,
)

from bot.amounts import parse_amount
from bot.cases.models import MOVE_ON_REASONS, RISKS
from bot.policy import KINDS
from slack_edge import inputs
from slack_edge.messages import esc, kind_label
from slack_edge.modals import CaseMeta, NewCaseMeta, modal
from storage.models import Account

NEW_CASE = "new_case"
NEW_CASE_FROM_MESSAGE = "new_case_from_message"
REASSIGN = "case_reassign_view"
RISK = "case_risk_view"
NOTE = "case_note_view"
MOVE_ON = "case_move_on_view"
REMOVE_CSM = "case_remove_csm_view"
SNOOZE = "case_snooze_view"
REMIND = "case_remind_view"
SNOOZE_CHOICES = {"1d": "1 day", "3d": "3 days", "1w": "1 week", "date": "Until a date"}
ACCOUNT_OPTIONS = "account"


def account_option(account: Account) -> Option:
    label = f"{account.name} ({account.external_id})"
    return Option(text=label[:75], value=str(account.id))


@dataclass(frozen=True)
class NewCaseDraft:
    """What we already know when the new-case modal opens."""

    kind: str = "cancellation"
    reason: str = ""
    account: Account | None = None
    typed: str = ""
    candidates: int = 0
    metadata: NewCaseMeta = field(default_factory=NewCaseMeta)


def new_case_modal(draft: NewCaseDraft, callback: str = NEW_CASE) -> dict:
    """The new-case modal; `callback` is NEW_CASE_FROM_MESSAGE when opened from a message."""
    account = draft.account
    picker = ExternalDataSelectElement(
        action_id=ACCOUNT_OPTIONS,
        placeholder="Type to search accounts",
        min_query_length=1,
        initial_option=account_option(account) if account else None,
    )
    blocks: list[Any] = []
    if draft.typed and account is None:
        hint = (
            f"“{draft.typed[:100]}” matches {draft.candidates} accounts; pick one."
            if draft.candidates
            else f"No account matches “{draft.typed[:100]}”; pick one."
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=hint)]))
    blocks += [
        inputs.field("account", "Account", picker),
        inputs.choice("kind", "Kind", {k: kind_label(k) for k in KINDS}, draft.kind),
        inputs.text(
            "reason",
            "Stated reason (the customer's words)",
            3000,
            optional=True,
            initial_value=draft.reason[:3000] or None,
        ),
        inputs.number(
            "arr", "ARR at risk", True, "Leave empty to use the account's ARR.", min_value="0"
        ),
        inputs.day("renewal", "Renewal date"),
    ]
    return modal(callback, "Open churn case", "Open case", blocks, draft.metadata)


@dataclass(frozen=True)
class NewCaseInput:
    account_id: int | None
    kind: str
    reason: str
    arr: Decimal | None
    renewal: date | None


def read_new_case(values: dict[str, Any]) -> tuple[NewCaseInput | None, dict[str, str]]:
    """The submitted fields, or inline errors by block id."""
    selected = (values.get("account", {}).get(ACCOUNT_OPTIONS) or {}).get("selected_option")
    kind = ((values.get("kind", {}).get("kind") or {}).get("selected_option") or {}).get("value")
    errors: dict[str, str] = {}
    if not selected:
        errors["account"] = "Pick an account."
    if kind not in KINDS:
        errors["kind"] = "Pick a kind."
    arr_text = (values.get("arr", {}).get("arr") or {}).get("value")
    arr = None
    if arr_text:
        try:
            arr = parse_amount(arr_text)
        except ValueError as err:
            errors["arr"] = f"ARR at risk: {err}."
    renewal_text = (values.get("renewal", {}).get("renewal") or {}).get("selected_date")
    if errors:
        return None, errors
    return NewCaseInput(
        account_id=int(selected["value"]),
        kind=str(kind),
        reason=(field_value(values, "reason", "reason") or "").strip(),
        arr=arr,
        renewal=date.fromisoformat(renewal_text) if renewal_text else None,
    ), {}


def _case_modal(callback: str, case_id: int, title: str, submit: str, blocks: list) -> dict:
    return modal(callback, title, submit, blocks, CaseMeta(case_id))


def reassign_modal(case_id: int, owner: str | None) -> dict:
    picker = inputs.person("owner", "New owner", "Pick the new owner", owner)
    return _case_modal(REASSIGN, case_id, "Reassign case", "Reassign", [picker])


def risk_modal(case_id: int, risk: str) -> dict:
    levels = {r: r.capitalize() for r in RISKS}
    block = inputs.choice("risk", "Risk level", levels, risk, radio=True)
    return _case_modal(RISK, case_id, "Risk level", "Save", [block])


def note_modal(case_id: int) -> dict:
    block = inputs.text("note", "Note", 2900)
    return _case_modal(NOTE, case_id, "Add note", "Add note", [block])


def move_on_modal(case_id: int) -> dict:
    blocks = [
        inputs.choice("reason", "Why move on?", MOVE_ON_REASONS, radio=True),
        inputs.text("detail", "Details", 2000, optional=True, hint="Required for “Other”."),
    ]
    return _case_modal(MOVE_ON, case_id, "Move on", "Move on", blocks)


def remove_csm_modal(case_id: int) -> dict:
    block = inputs.text("reason", "Reason (recorded)", 2000)
    return _case_modal(REMOVE_CSM, case_id, "Remove CSM", "Remove CSM", [block])


def field_value(values: dict[str, Any], block: str, action: str) -> Any:
    """The value of a modal field, whatever its element type."""
    state = values.get(block, {}).get(action) or {}
    if state.get("type") == "plain_text_input" and state.get("value") is not None:
        return esc(state["value"])  # typed as plain text, shown as mrkdwn: no pings
    for key in ("value", "selected_user", "selected_date", "selected_date_time"):
        if state.get(key) is not None:
            return state[key]
    option = state.get("selected_option")
    return option.get("value") if option else None


def snooze_modal(case_id: int) -> dict:
    blocks = [
        inputs.choice("for", "Snooze nudges for", SNOOZE_CHOICES, "1d", radio=True),
        inputs.day("until", "Until (for “Until a date”)"),
    ]
    return _case_modal(SNOOZE, case_id, "Snooze case", "Snooze", blocks)


def remind_modal(case_id: int) -> dict:
    block = inputs.moment("at", "Remind me at")
    return _case_modal(REMIND, case_id, "Remind me", "Set reminder", [block])
