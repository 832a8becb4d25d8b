"""What `bot/` needs from Slack at run time, as protocols of its own.

`bot/` never imports slack_sdk: the outbox deliverer and the people directory talk to these
small interfaces, `slack_edge` implements them over slack_sdk's WebClient, and the
composition root (`wiring.build_services`) hands the implementation in. Tests may pass any
object with the same methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.standing import HomeTeam, PersonFacts


@dataclass
class SlackError(Exception):
    """Slack answered a Web API call with an error (HTTP status and Slack's `error` code).

    `headers` carries the response headers so a 429's `Retry-After` can be honoured. A
    connection that never got an answer is an `OSError` instead, as with slack_sdk.
    """

    status: int
    error: str
    headers: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"Slack answered {self.status}: {self.error}"


class SlackTransport(Protocol):
    """The outbox deliverer's only way to Slack (see bot/outbox.py)."""

    def call(self, method: str, args: dict[str, Any]) -> Mapping[str, Any]:
        """Call a Web API method with JSON arguments; raises SlackError or OSError."""
        ...

    def read(self, method: str, args: dict[str, Any]) -> Mapping[str, Any]:
        """Call a Web API read method (conversations.history, conversations.replies) with
        form arguments, as Slack takes them; raises SlackError or OSError."""
        ...

    def permalink(self, channel: str, ts: str) -> str:
        """`chat.getPermalink` for a posted message; raises SlackError or OSError."""
        ...

    def respond(self, url: str, text: str) -> int:
        """POST an ephemeral reply to a `response_url`; returns the HTTP status."""
        ...

    def upload(
        self, channel: str, content: bytes, filename: str, title: str, thread_ts: str | None
    ) -> Mapping[str, Any]:
        """Share a file in a channel (and thread) with files_upload_v2; returns the file
        (`id`, `permalink`); raises SlackError, or OSError when the upload did not arrive."""
        ...


class PeopleLookup(Protocol):
    """The people directory's look-ups (see bot/people.py)."""

    def user_by_email(self, email: str) -> str | None:
        """The user ID with this email, None if Slack has no such user; raises SlackError."""
        ...

    def group_members(self, handle: str) -> list[str] | None:
        """User IDs in the user group with this handle (no `@`), None if there is none."""
        ...

    def user_info(self, user_id: str) -> PersonFacts:
        """What Slack says about the user (`users.info`): `found` False for
        `user_not_found`; raises SlackError or OSError when Slack cannot be asked."""
        ...

    def home_team(self) -> HomeTeam:
        """The installation's team and organisation (`auth.test`); raises SlackError or
        OSError when Slack cannot be asked."""
        ...


class SlackWebApi(Protocol):
    """The interactive Web API client (slack_sdk's WebClient, from slack_edge.clients) in
    `Services.api`: `bot/` never calls it; handlers/, Bolt and the start-up check do."""

    def auth_test(self, **kwargs: Any) -> Any:
        """`auth.test`: who the token belongs to; raises slack_sdk's errors."""
        ...

    def api_call(self, api_method: str, **kwargs: Any) -> Any:
        """Any Web API method; raises slack_sdk's errors."""
        ...
