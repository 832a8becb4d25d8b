"""Events API listeners: messages in watched channels (bot/signals decides between nothing,
a threaded offer and a case), people changing or joining (`user_change`, `team_join`: the
directory keeps who is deactivated, a bot or of another organisation, and the cases of
someone deactivated are handed over), and channels that
work again (unarchived, the app added): their waiting messages are tried at once
(bot/outbox). Each is handled before Slack gets its acknowledgement (`on_event`), so a
process killed meanwhile leaves it for Slack to send again. Thin: parse the event, call one
service."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.runtime.services import Services
from bot.signals.models import SlackMessage
from handlers.acting import Acting, on_event
from slack_edge.people import person_facts
from slack_edge.signal_codecs import message_text

# New messages only: edits (message_changed), deletions and joins never offer again.
NEW_MESSAGE_SUBTYPES = frozenset({None, "bot_message", "thread_broadcast", "file_share"})


def register(app: App, services: Services) -> None:
    signals = services.signals

    def message(acting: Acting, context: BoltContext) -> None:
        parsed = channel_message(acting.meta, acting.body, context)
        if parsed is not None:
            signals.watch(parsed, lambda: acting.slack.permalink(parsed.channel, parsed.ts))

    on_event(app, "message", message)

    def person_changed(acting: Acting, context: BoltContext) -> None:
        facts = person_facts(acting.meta.get("user") or {})
        # The directory, and a handover if gone; False: older than what is stored (a late
        # retry), so its status must not touch time off either.
        if facts is not None and services.cases.person_changed(facts):
            services.hours.status_changed(facts)  # a status that means time off

    on_event(app, "user_change", person_changed)
    on_event(app, "team_join", person_changed)

    def channel_back(acting: Acting, context: BoltContext) -> None:
        channel = acting.meta.get("channel")
        if isinstance(channel, str) and channel:
            services.deliverer.retry_channel(channel)

    on_event(app, "channel_unarchive", channel_back)
    on_event(app, "member_joined_channel", channel_back)


def channel_message(
    event: dict[str, Any], body: dict[str, Any], context: BoltContext
) -> SlackMessage | None:
    """The message, or None for edits, deletions and our own posts (whose offer text would
    otherwise match the phrases it quotes)."""
    if event.get("subtype") not in NEW_MESSAGE_SUBTYPES or event.get("hidden"):
        return None
    own = (
        (event.get("app_id") and event.get("app_id") == body.get("api_app_id"))
        or (event.get("bot_id") and event.get("bot_id") == context.bot_id)
        or (event.get("user") and event.get("user") == context.bot_user_id)
    )
    if own or not event.get("channel") or not event.get("ts"):
        return None
    return SlackMessage(
        channel=str(event["channel"]),
        ts=str(event["ts"]),
        text=message_text(event),
        thread_ts=event.get("thread_ts"),
        bot_id=event.get("bot_id"),
    )
