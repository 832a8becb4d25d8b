"""Slack-side encodings for signals: the prompt button's value and the new-case modal's
`private_metadata`, so the modal needs no Slack look-up (Slack limits a button value to 2000
characters)."""

from __future__ import annotations

import json
from typing import Any

from bot.signals.models import SlackMessage
from slack_edge.messages import CaseAction, prompt_blocks

BUTTON_VALUE_MAX = 2000  # Slack's limit on a button's value


def prompt_value(message: SlackMessage, account_id: int | None) -> str:
    """The prompt button's value: where the message is and its words (cut to fit 2000)."""
    data: dict[str, Any] = {"channel": message.channel, "ts": message.ts}
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


def read_prompt_value(value: str | None) -> tuple[SlackMessage, int | None] | None:
    """The message a prompt button is about, and the account named in it (None: garbled)."""
    try:
        data = json.loads(value or "")
        message = SlackMessage(
            channel=str(data["channel"]),
            ts=str(data["ts"]),
            text=str(data.get("text") or ""),
            thread_ts=data.get("thread_ts"),
        )
        account_id = data.get("account_id")
        return message, int(account_id) if account_id is not None else None
    except (ValueError, TypeError, KeyError):
        return None


def modal_metadata(message: SlackMessage, source: str) -> dict[str, str]:
    """What the new-case modal carries so that its submission knows the message."""
    meta = {"source": source, "channel": message.channel, "ts": message.ts}
    if message.thread_ts and message.thread_ts != message.ts:
        meta["thread_ts"] = message.thread_ts
    return meta


def read_modal_metadata(meta: dict[str, Any]) -> tuple[SlackMessage, str] | None:
    if not meta.get("channel") or not meta.get("ts"):
        return None
    message = SlackMessage(str(meta["channel"]), str(meta["ts"]), thread_ts=meta.get("thread_ts"))
    return message, str(meta.get("source") or "message")


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
