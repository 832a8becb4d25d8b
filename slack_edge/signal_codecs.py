"""Slack-side encodings for signals: the prompt button's value (`PromptValue`) and the
new-case modal's `private_metadata` (`slack_edge.modals.NewCaseMeta`), both versioned JSON
(`{"v": 1, ...}`; a value without `v` is version 1), so the modal needs no Slack look-up
(Slack limits a button value to 2000 characters)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.signals.models import SlackMessage
from slack_edge.case_messages import CaseAction, prompt_blocks
from slack_edge.modals import METADATA_VERSION, NewCaseMeta
from slack_edge.text import from_slack

BUTTON_VALUE_MAX = 2000  # Slack's limit on a button's value


@dataclass(frozen=True)
class PromptValue:
    """What the watched-channel prompt's button carries: the message and the account named
    in it (None when none or several are)."""

    message: SlackMessage
    account_id: int | None = None


def prompt_value(message: SlackMessage, account_id: int | None) -> str:
    """The prompt button's value: where the message is and its words (cut to fit 2000)."""
    data: dict[str, Any] = {"v": METADATA_VERSION, "channel": message.channel, "ts": message.ts}
    if message.thread_ts and message.thread_ts != message.ts:
        data["thread_ts"] = message.thread_ts
    if account_id is not None:
        data["account_id"] = account_id
    text = message.text
    while True:
        value = json.dumps(data | {"text": text}, ensure_ascii=False, separators=(",", ":"))
        if len(value) <= BUTTON_VALUE_MAX:
            return value
        text = text[: max(len(text) - (len(value) - BUTTON_VALUE_MAX) - 1, 0)].rstrip() + "…"


def read_prompt_value(value: str | None) -> PromptValue | None:
    """The message a prompt button is about, and the account named in it (None: garbled or
    of a version this code does not read)."""
    try:
        data = json.loads(value or "")
        if data.get("v", 1) != METADATA_VERSION:
            return None
        message = SlackMessage(
            channel=str(data["channel"]),
            ts=str(data["ts"]),
            text=str(data.get("text") or ""),
            thread_ts=data.get("thread_ts"),
        )
        account_id = data.get("account_id")
        return PromptValue(message, int(account_id) if account_id is not None else None)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def modal_metadata(message: SlackMessage, source: str) -> NewCaseMeta:
    """What the new-case modal carries so that its submission knows the message."""
    thread = message.thread_ts if message.thread_ts != message.ts else None
    return NewCaseMeta(source=source, channel=message.channel, ts=message.ts, thread_ts=thread)


def read_modal_metadata(meta: NewCaseMeta) -> tuple[SlackMessage, str] | None:
    """The message a new-case modal was opened from, and the way in; None if none."""
    if not meta.channel or not meta.ts:
        return None
    message = SlackMessage(meta.channel, meta.ts, thread_ts=meta.thread_ts)
    return message, meta.source or "message"


def message_text(message: dict[str, Any]) -> str:
    """The words, as a person reads them: Slack's escapes undone once (`Baker &amp; Sons` is
    `Baker & Sons`), broadcasts made words. Integration bots often put them in attachments."""
    parts = [str(message.get("text") or "")]
    for attachment in message.get("attachments") or []:
        parts += [
            str(attachment[key]) for key in ("pretext", "title", "text") if attachment.get(key)
        ]
    return "\n".join(from_slack(p) for p in parts if p)


def prompt_message(
    message: SlackMessage, phrase: str, account_id: int | None
) -> tuple[str, list[dict]]:
    """The threaded prompt to open a case, its button carrying the message's words."""
    text, blocks = prompt_blocks(message.channel, message.ts, phrase)
    _set_button_value(blocks, prompt_value(message, account_id))
    return text, blocks


def _set_button_value(blocks: list[dict], value: str) -> None:
    """Give the prompt's button the message's words, so the modal needs no Slack lookup."""
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == CaseAction.OPEN_FROM_MESSAGE.value:
                element["value"] = value
