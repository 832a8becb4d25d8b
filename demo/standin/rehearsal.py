"""The stand-in's own endpoints (not Slack's), under `/standin/`, for a person rehearsing
against the stand-in alone from another process (`python -m demo.standin.say`):

- `POST /standin/command` (JSON `{"user": …, "channel": …}`): the response_url and
  trigger_id Slack puts in a command typed by that person in that channel; a channel the
  workspace does not have (with `strict_channels`) is `channel_not_found`.
- `GET /standin/activity`: what apps did so far: channel messages as they now stand,
  ephemeral messages, the bodies POSTed to response_urls, views (modals and App Homes, with
  the person they show to); and the names of the workspace's channels and people.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

from demo.standin.records import HttpReply


class RehearsalMethods:
    """Mixin of SlackStandin: `/standin/…`, read and written over HTTP."""

    _lock: threading.RLock
    _responses: list[tuple[str, dict]]
    _home_views: dict[str, str]
    _modal_stacks: dict[str, list[str]]

    if TYPE_CHECKING:

        def new_response_url(self, *where: str | None) -> str: ...
        def new_trigger_id(self, user: str | None = None) -> str: ...
        def views(self) -> list[dict]: ...
        def _channel_error(self, channel: str) -> str | None: ...
        def channels(self) -> list[dict]: ...
        def users(self) -> list[dict]: ...
        def messages(self, channel: str | None = None) -> list[dict]: ...
        def ephemerals(self, user: str | None = None) -> list[dict]: ...
        @property
        def version(self) -> int: ...

    def _rehearsal(self, path: str, body: bytes) -> HttpReply:
        if path == "command":
            return self._command(body)
        if path == "activity":
            return HttpReply.of_json(200, self._activity())
        return HttpReply.of_text(404, "not_found")

    def _command(self, body: bytes) -> HttpReply:
        try:
            asked = json.loads(body or b"{}")
            user, channel = str(asked["user"]), str(asked["channel"])
        except (ValueError, KeyError, TypeError):
            return HttpReply.of_json(400, {"ok": False, "error": "invalid_arguments"})
        if self._channel_error(channel) == "channel_not_found":
            known = [f"{c['id']}=#{c['name']}" for c in self.channels()]
            refused = {"ok": False, "error": "channel_not_found", "channels": known}
            return HttpReply.of_json(200, refused)
        issued = {
            "ok": True,
            "response_url": self.new_response_url(user, channel),
            "trigger_id": self.new_trigger_id(user),
        }
        return HttpReply.of_json(200, issued)

    def _activity(self) -> dict:
        with self._lock:
            return {
                "ok": True,
                "version": self.version,
                "channels": {c["id"]: c["name"] for c in self.channels()},
                "users": {u["id"]: u["real_name"] for u in self.users()},
                "messages": self.messages(),
                "ephemerals": self.ephemerals(),
                "responses": [{"url": url, "body": body} for url, body in self._responses],
                "views": [v | {"user": self._viewer(v["id"])} for v in self.views()],
            }

    def _viewer(self, view_id: str) -> str | None:
        """Whose App Home the view is, or whose open modal."""
        for user, home in self._home_views.items():
            if home == view_id:
                return user
        return next((u for u, stack in self._modal_stacks.items() if view_id in stack), None)
