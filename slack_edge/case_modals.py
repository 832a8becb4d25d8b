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
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.cases.models import MOVE_ON_REASONS, RISKS, AccountView
from bot.common.amounts import parse_amount
from bot.policy import KINDS
from slack_edge import inputs
from slack_edge.case_messages import esc, kind_label
from slack_edge.modals import CaseMeta, NewCaseMeta, modal
from slack_edge.text import OPTION_TEXT, PLAIN_INPUT, plain

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


def account_option(account: AccountView) -> Option:
    label = f"{account.name} ({account.external_id})"
    return Option(text=plain(label, OPTION_TEXT), value=str(account.id))


@dataclass(frozen=True)
class NewCaseDraft:
    """What we already know when the new-case modal opens."""

    kind: str = "cancellation"
    reason: str = ""
    account: AccountView | None = None
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
        typed = esc(plain(draft.typed, 100))  # as typed, shown in mrkdwn: escaped once
        hint = (
            f"“{typed}” matches {draft.candidates} accounts; pick one."
            if draft.candidates
            else f"No account matches “{typed}”; pick one."
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
            initial_value=plain(draft.reason, PLAIN_INPUT) or None,
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
    account_id = str((selected or {}).get("value") or "")
    if not account_id.isdigit():  # our own option values are account ids (account_option)
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
    renewal = picked_date(values, "renewal", "renewal")
    if renewal is False:
        errors["renewal"] = "Pick a date from the calendar."
    if errors:
        return None, errors
    return NewCaseInput(
        account_id=int(account_id),
        kind=str(kind),
        reason=(field_value(values, "reason", "reason") or "").strip(),
        arr=arr,
        renewal=renewal or None,
    ), {}


def picked_date(values: dict[str, Any], block: str, action: str) -> date | bool | None:
    """A datepicker's date; None when empty, False when it is not a calendar date."""
    text = (values.get(block, {}).get(action) or {}).get("selected_date")
    if not text:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return False


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


def field_value(values: dict[str, Any], block: str, action: str) -> str | None:
    """The value of a modal field as text, whatever its element type (a datetime picker's
    epoch seconds too); plain text as typed, escaped once where it is shown."""
    state = values.get(block, {}).get(action) or {}
    if not isinstance(state, dict):
        return None
    for key in ("value", "selected_user", "selected_date", "selected_date_time"):
        if state.get(key) is not None:
            return str(state[key])
    option = state.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    return None if value is None else str(value)


def snooze_modal(case_id: int) -> dict:
    blocks = [
        inputs.choice("for", "Snooze nudges for", SNOOZE_CHOICES, "1d", radio=True),
        inputs.day("until", "Until (for “Until a date”)"),
    ]
    return _case_modal(SNOOZE, case_id, "Snooze case", "Snooze", blocks)


def remind_modal(case_id: int) -> dict:
    block = inputs.moment("at", "Remind me at")
    return _case_modal(REMIND, case_id, "Remind me", "Set reminder", [block])


def loading_modal(title: str) -> dict:
    """Opened at once when a click cannot be decided in time; `views.update` replaces it."""
    return View(
        type="modal",
        title=plain(title, 24),
        close="Close",
        blocks=[SectionBlock(text=":hourglass_flowing_sand: One moment…")],
    ).to_dict()


def refusal_modal(title: str, why: str) -> dict:
    """What replaces the loading modal when the person may not do this after all."""
    return View(
        type="modal",
        title=plain(title, 24),
        close="Close",
        blocks=[SectionBlock(text=f":no_entry: {esc(why)}")],
    ).to_dict()
