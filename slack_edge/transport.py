"""`bot.ports` over slack_sdk: the outbox deliverer's calls and the people directory's look-ups.

Every `SlackApiError` becomes a `bot.ports.SlackError` carrying the status, Slack's `error`
code and the headers (for `Retry-After`); connection failures stay `OSError`, as slack_sdk
raises them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.webhook import WebhookClient

from bot.people.standing import HomeTeam, PersonFacts
from bot.ports import SlackError
from slack_edge.people import home_team, person_facts


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except SlackApiError as err:
        response = err.response
        error = str(response.get("error") or f"HTTP {response.status_code}")
        raise SlackError(response.status_code, error, dict(response.headers or {})) from None


class WebTransport:
    """Implements `SlackTransport` and `PeopleLookup` with one WebClient."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def call(self, method: str, args: dict[str, Any]) -> Mapping[str, Any]:
        with _translated():
            return dict(self.client.api_call(method, json=args).data or {})

    def read(self, method: str, args: dict[str, Any]) -> Mapping[str, Any]:
        """A GET with query arguments: Slack's read methods take no JSON body."""
        with _translated():
            return dict(self.client.api_call(method, http_verb="GET", params=args).data or {})

    def permalink(self, channel: str, ts: str) -> str:
        with _translated():
            return str(self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])

    def respond(self, url: str, text: str, *, replace: bool = False) -> int:
        webhook = WebhookClient(url, timeout=10)
        response = webhook.send(text=text, response_type="ephemeral", replace_original=replace)
        return int(response.status_code)

    def upload(
        self, channel: str, content: bytes, filename: str, title: str, thread_ts: str | None
    ) -> Mapping[str, Any]:
        """files_upload_v2 (getUploadURLExternal, the upload, completeUploadExternal); the
        file is shared only by the last call, so a retry after a failure leaves no copy."""
        try:
            with _translated():
                response = self.client.files_upload_v2(
                    channel=channel,
                    content=content,
                    filename=filename,
                    title=title,
                    thread_ts=thread_ts,
                )
        except SlackRequestError as err:  # the upload URL refused the bytes
            raise OSError(f"file upload failed: {err}") from None
        return dict(response.get("file") or {})

    def user_by_email(self, email: str) -> str | None:
        try:
            with _translated():
                return str(self.client.users_lookupByEmail(email=email)["user"]["id"])
        except SlackError as err:
            if err.error == "users_not_found":
                return None
            raise

    def group_members(self, handle: str) -> list[str] | None:
        """The members of user group @`handle`. With an org-wide (Enterprise Grid) token
        Slack wants the workspace named (`team_id`, "required if org token is used":
        api.slack.com/methods/usergroups.list, its missing_argument): each workspace the
        app was added to (auth.teams.list) is looked in, in turn (docs/slack-admin.md)."""
        with _translated():
            try:
                return self._group_members(handle, None)
            except SlackApiError as err:
                if err.response.get("error") != "missing_argument":
                    raise
            for team in self._org_teams():
                found = self._group_members(handle, team)
                if found is not None:
                    return found
        return None

    def _group_members(self, handle: str, team: str | None) -> list[str] | None:
        where = {"team_id": team} if team else {}
        groups = self.client.usergroups_list(**where)["usergroups"]
        match = next((g for g in groups if g.get("handle") == handle), None)
        if match is None:
            return None
        users = self.client.usergroups_users_list(usergroup=match["id"], **where)["users"]
        return [str(u) for u in users]

    def _org_teams(self) -> list[str]:
        """The workspaces an org-wide installation was added to, every page."""
        teams: list[str] = []
        cursor = None
        while True:
            page = self.client.auth_teams_list(cursor=cursor, limit=100)
            teams += [str(t["id"]) for t in page.get("teams") or []]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return teams

    def user_info(self, user_id: str) -> PersonFacts:
        try:
            with _translated():
                user = self.client.users_info(user=user_id)["user"]
        except SlackError as err:
            if err.error == "user_not_found":
                return PersonFacts(user_id, found=False)
            raise
        facts = person_facts(user or {})
        return facts if facts is not None else PersonFacts(user_id, found=False)

    def home_team(self) -> HomeTeam:
        with _translated():
            return home_team(self.client.auth_test().data or {})
