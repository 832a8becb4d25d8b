"""A case from a Slack message: the "Open churn case" message shortcut (and, through
`open_message_modal`, the "Open a case" button on a watched channel's prompt). Both open the
new-case modal pre-filled from the message; its submission (`listeners/views/signals.py`)
opens the case with the message's permalink and replies in the message's thread.

Nothing slow runs before `views.open` (trigger ids expire after 3 s, and the interactive
client's retry handler may wait out a 429): the permalink is asked for after the
submission has been acknowledged.
"""

from __future__ import annotations

from slack_bolt import App

from bot.people.access import Action
from bot.runtime.services import Services
from bot.signals.models import Draft, ExistingCase, SlackMessage
from handlers.acting import Acting, shortcut
from slack_edge import case_modals as views
from slack_edge.signal_codecs import message_text, modal_metadata

SHORTCUT = "open_churn_case"
SHORTCUT_SOURCE = "message shortcut"


def message_modal(draft: Draft, message: SlackMessage, source: str) -> dict:
    """The usual new-case modal, submitted to the from-message listener instead."""
    return views.new_case_modal(
        views.NewCaseDraft(
            kind=draft.kind,
            reason=draft.text,
            account=draft.account,
            metadata=modal_metadata(message, source),
        ),
        views.NEW_CASE_FROM_MESSAGE,
    )


def already_opened(existing: ExistingCase, linked: bool = True) -> str:
    """Inline modal errors are plain text, so they get no link."""
    thread = f": <{existing.link}|open the thread>" if existing.link and linked else "."
    return f"Case #{existing.case_id} was already opened from this message{thread}"


def open_message_modal(
    services: Services,
    acting: Acting,
    message: SlackMessage,
    source: str,
    account_id: int | None = None,
) -> None:
    """The new-case modal for `message`, or a word to the person if it already has a case
    (or why they may not open one)."""
    services.cases.access.member(acting.user, Action.OPEN_CASE)
    draft = services.signals.draft(message, account_id)
    if draft.existing is not None:
        acting.tell(already_opened(draft.existing))
        return
    acting.open_modal(message_modal(draft, message, source))


def register(app: App, services: Services) -> None:
    def open_churn_case(acting: Acting) -> None:
        payload = acting.meta
        message = payload.get("message") or {}
        origin = SlackMessage(
            channel=payload["channel"]["id"],
            ts=str(message.get("ts") or payload["message_ts"]),
            text=message_text(message),
            thread_ts=message.get("thread_ts"),
        )
        open_message_modal(services, acting, origin, SHORTCUT_SOURCE)

    app.shortcut(SHORTCUT)(shortcut(open_churn_case))
