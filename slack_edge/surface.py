"""What a listener may ask of Slack while someone waits: open a modal, publish a Home tab,
answer one person ephemerally, ask for a message's permalink. Wraps Bolt's `client` (a
slack_sdk WebClient) so that `handlers/` never holds slack_sdk types."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class Surface:
    """The Web API calls listeners make, over the request's WebClient."""

    def __init__(self, client: WebClient, before_call: Callable[[], None] | None = None) -> None:
        """`before_call` runs once, before the first call: a button's acknowledgement,
        held until its work is committed, goes out before anything slow (handlers.acting)."""
        self.client = client
        self._before_call = before_call

    def about_to_call(self) -> None:
        """Run `before_call` if it has not run yet (also before answering a response_url)."""
        before, self._before_call = self._before_call, None
        if before is not None:
            before()

    def open_modal(self, trigger_id: str, view: dict[str, Any]) -> str:
        """`views.open`; the trigger id expires 3 s after the click (Slack docs: views.open).
        Returns the opened view's id, for `update_modal`."""
        self.about_to_call()
        opened = self.client.views_open(trigger_id=trigger_id, view=view)
        return str((opened.get("view") or {}).get("id") or "")

    def update_modal(self, view_id: str, view: dict[str, Any]) -> None:
        """`views.update` of an open modal (Slack docs: views.update)."""
        self.about_to_call()
        self.client.views_update(view_id=view_id, view=view)

    def publish_home(self, user: str, view: dict[str, Any]) -> None:
        """`views.publish` of a person's Home tab."""
        self.about_to_call()
        self.client.views_publish(user_id=user, view=view)

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        """A message only `user` sees in `channel`."""
        self.about_to_call()
        self.client.chat_postEphemeral(channel=channel, user=user, text=text)

    def permalink(self, channel: str, ts: str) -> str | None:
        """The message's permalink, or None (logged) when Slack will not say right now."""
        self.about_to_call()
        try:
            return str(self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except (SlackApiError, OSError, KeyError) as err:
            log.warning("no permalink for %s/%s: %s", channel, ts, err)
            return None

    def channel_shared(self, channel: str) -> bool | None:
        """Whether the channel is shared with another organisation (Slack Connect:
        `conversations.info` → `is_ext_shared`, or an invitation pending); None (logged)
        when Slack will not say."""
        self.about_to_call()
        try:
            info = self.client.conversations_info(channel=channel)["channel"]
        except (SlackApiError, OSError, KeyError) as err:
            log.warning("cannot ask whether %s is shared: %s", channel, err)
            return None
        return bool(info.get("is_ext_shared") or info.get("is_pending_ext_shared"))
