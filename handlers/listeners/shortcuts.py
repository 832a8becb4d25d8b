"""A case from a Slack message: the "Open churn case" message shortcut and the "Open a case"
button on a watched channel's offer. Both open the new-case modal pre-filled from the
message; its submission opens the case with the message's permalink and replies in the
message's thread. Thin: parse, call bot/signals, render.

Nothing slow runs before `views.open` (trigger ids expire after 3 s, and the interactive
client's retry handler may wait out a 429): the permalink is asked for after the
submission has been acknowledged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.signals.models import CaseFields, Draft, ExistingCase, SlackMessage
from slack_edge import case_modals as views
from slack_edge.messages import CaseAction
from slack_edge.signal_codecs import modal_metadata, read_modal_metadata, read_prompt_value

log = logging.getLogger(__name__)

SHORTCUT = "open_churn_case"
FROM_MESSAGE = "new_case_from_message"
SHORTCUT_SOURCE = "message shortcut"
PROMPT_SOURCE = "watched channel"


def permalink(client: WebClient, channel: str, ts: str) -> str | None:
    """The message's permalink, or None (logged) when Slack will not say right now."""
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except (SlackApiError, OSError, KeyError) as err:
        log.warning("no permalink for %s/%s: %s", channel, ts, err)
        return None


def message_modal(draft: Draft, message: SlackMessage, source: str) -> dict:
    """The usual new-case modal, submitted to this module's listener instead."""
    view = views.new_case_modal(
        views.NewCaseDraft(
            kind=draft.kind,
            reason=draft.text,
            account=draft.account,
            metadata=modal_metadata(message, source),
        )
    )
    view["callback_id"] = FROM_MESSAGE
    return view


def already_opened(existing: ExistingCase, linked: bool = True) -> str:
    """Inline modal errors are plain text, so they get no link."""
    thread = f": <{existing.link}|open the thread>" if existing.link and linked else "."
    return f"Case #{existing.case_id} was already opened from this message{thread}"


def message_text(message: dict[str, Any]) -> str:
    """The words: integration bots often put them in attachments rather than `text`."""
    parts = [str(message.get("text") or "")]
    for attachment in message.get("attachments") or []:
        parts += [
            str(attachment[key]) for key in ("pretext", "title", "text") if attachment.get(key)
        ]
    return "\n".join(p for p in parts if p)


def tell(respond: Respond, text: str) -> None:
    """Only the person who clicked sees it; the message they clicked stays as it is."""
    respond(text=text, response_type="ephemeral", replace_original=False)


def register(app: App, services: Services) -> None:
    signals = services.signals

    def open_modal(
        respond: Respond,
        client: WebClient,
        trigger_id: str,
        message: SlackMessage,
        source: str,
        account_id: int | None = None,
    ) -> None:
        draft = signals.draft(message, account_id)
        if draft.existing is not None:
            tell(respond, already_opened(draft.existing))
            return
        client.views_open(trigger_id=trigger_id, view=message_modal(draft, message, source))

    @app.shortcut(SHORTCUT)
    def open_churn_case(
        ack: Ack, shortcut: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        message = shortcut.get("message") or {}
        origin = SlackMessage(
            channel=shortcut["channel"]["id"],
            ts=str(message.get("ts") or shortcut["message_ts"]),
            text=message_text(message),
            thread_ts=message.get("thread_ts"),
        )
        open_modal(respond, client, shortcut["trigger_id"], origin, SHORTCUT_SOURCE)

    @app.action(CaseAction.OPEN_FROM_MESSAGE.value)
    def open_from_prompt(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        prompt = read_prompt_value(body["actions"][0].get("value"))
        if prompt is None:
            tell(respond, "This offer can no longer be used; try the “Open churn case” shortcut.")
            return
        origin, account_id = prompt
        open_modal(respond, client, body["trigger_id"], origin, PROMPT_SOURCE, account_id)

    app.view(FROM_MESSAGE)(_from_message_submitted(services))


def _from_message_submitted(services: Services) -> Callable[..., None]:
    """The new-case modal opened from a message: inline errors, or one case via signals."""
    signals = services.signals

    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        data, errors = views.read_new_case(view["state"]["values"])
        origin = read_modal_metadata(json.loads(view.get("private_metadata") or "{}"))
        if data is None or data.account_id is None or origin is None:
            ack(response_action="errors", errors=errors or {"account": "Pick an account."})
            return
        message, source = origin
        existing = signals.existing(message)
        if existing is not None:
            ack(
                response_action="errors", errors={"account": already_opened(existing, linked=False)}
            )
            return
        ack()
        fields = CaseFields(data.kind, data.reason, data.arr, data.renewal)
        link = permalink(client, message.channel, message.ts)
        signals.open_from_message(
            message, data.account_id, fields, source, body["user"]["id"], link
        )

    return submitted
