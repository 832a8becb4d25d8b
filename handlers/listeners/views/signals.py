"""The new-case modal opened from a Slack message (shortcut or watched-channel prompt):
inline errors, or one case through the signals service with the message's permalink."""

from __future__ import annotations

from slack_bolt import App

from bot.people.access import Action
from bot.runtime.services import Services
from bot.signals.models import CaseFields
from bot.signals.service import message_signal
from handlers.acting import Acting, Errors, submission
from handlers.listeners.shortcuts import already_opened
from handlers.opening_cases import queue_case
from slack_edge import case_modals as views
from slack_edge.modals import NewCaseMeta
from slack_edge.signal_codecs import read_modal_metadata


def register(app: App, services: Services) -> None:
    callback = views.NEW_CASE_FROM_MESSAGE
    app.view(callback)(submission(lambda s: submitted(services, s), "account", NewCaseMeta))


def submitted(services: Services, sent: Acting) -> Errors | None:
    """Errors (no account, no message, a case already opened from it), or the open: its job
    committed before the modal closes (the message's permalink is asked for first)."""
    services.cases.access.require(sent.user, Action.OPEN_CASE)
    data, errors = views.read_new_case(sent.values)
    origin = read_modal_metadata(sent.meta)
    if data is None or data.account_id is None or origin is None:
        return errors or {"account": "Pick an account."}
    message, source = origin
    existing = services.signals.existing(message)
    if existing is not None:
        return {"account": already_opened(existing, linked=False)}
    fields = CaseFields(data.kind, data.reason, data.arr, data.renewal)
    link = sent.slack.permalink(message.channel, message.ts)
    signal = message_signal(message, fields, source, sent.user, link)
    queue_case(services, data.account_id, signal)
    return None
