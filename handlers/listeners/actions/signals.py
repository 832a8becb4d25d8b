"""The "Open a case" button on a watched channel's prompt: opens the new-case modal
pre-filled from the message the button carries (`slack_edge.signal_codecs.PromptValue`)."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime.services import Services
from handlers.acting import Acting, button
from handlers.listeners.shortcuts import open_message_modal
from slack_edge.case_messages import CaseAction
from slack_edge.signal_codecs import read_prompt_value

PROMPT_SOURCE = "watched channel"


def register(app: App, services: Services) -> None:
    def open_from_prompt(press: Acting) -> None:
        if press.meta is None:
            press.tell("This offer can no longer be used; try the “Open churn case” shortcut.")
            return
        message, account_id = press.meta.message, press.meta.account_id
        open_message_modal(services, press, message, PROMPT_SOURCE, account_id)

    app.action(CaseAction.OPEN_FROM_MESSAGE.value)(button(open_from_prompt, read_prompt_value))
