"""auth.test, users.* and usergroups.*: the workspace's members, channels and groups."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from demo.standin.records import BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, TEAM_NAME
from demo.standin.validation import Args, Reply, SlackError, require, truthy, tz_offset


class DirectoryMethods:
    """Mixin of SlackStandin: who is in the workspace, and which channels exist."""

    _lock: threading.RLock
    _users: dict[str, dict]
    strict_users: bool
    _usergroups: dict[str, dict]
    _channels: dict[str, dict]

    if TYPE_CHECKING:

        def _channel_error(self, channel: str) -> str | None: ...

    def add_user(
        self,
        user_id: str,
        email: str | None = None,
        name: str | None = None,
        tz: str = "America/New_York",
        title: str = "",
        **flags: Any,
    ) -> dict:
        """Register a workspace member for users.info / users.lookupByEmail. `flags` set
        fields of Slack's user object as they are: `deleted=True` (deactivated),
        `is_bot=True`, `is_stranger=True`, `team_id="T0OTHER"` (another organisation in a
        Slack Connect channel)."""
        user = _member(user_id, email, name or user_id.lower(), tz, title) | flags
        with self._lock:
            self._users[user_id] = user
        return json.loads(json.dumps(user))

    def change_user(self, user_id: str, **flags: Any) -> dict:
        """Change a member's fields (e.g. `deleted=True` when an admin deactivates them);
        returns the user object as Slack's `user_change` event carries it."""
        with self._lock:
            user = self._users.get(user_id) or _member(user_id, None, user_id.lower())
            self._users[user_id] = user | flags
            return json.loads(json.dumps(self._users[user_id]))

    def add_usergroup(
        self, group_id: str, handle: str, users: Iterable[str], team_id: str = TEAM_ID
    ) -> None:
        """Register a user group (e.g. the CSM on-call group) and its members, in workspace
        `team_id` (on Grid, an org token must name it: usergroups.list's `team_id`)."""
        with self._lock:
            self._usergroups[group_id] = {
                "id": group_id,
                "handle": handle,
                "users": list(users),
                "team_id": team_id,
            }

    def add_channel(
        self, channel_id: str, name: str, purpose: str = "", *, ext_shared: bool = False
    ) -> None:
        """Register a channel the bot is a member of; `ext_shared`: a Slack Connect channel,
        shared with another organisation (`conversations.info` says `is_ext_shared`)."""
        with self._lock:
            self._channels[channel_id] = {
                "id": channel_id,
                "name": name,
                "purpose": purpose,
                "is_ext_shared": ext_shared,
            }

    def users(self) -> list[dict]:
        with self._lock:
            return json.loads(json.dumps(list(self._users.values())))

    def channels(self) -> list[dict]:
        with self._lock:
            return [dict(c) for c in self._channels.values()]

    def _auth_test(self, args: Args) -> Reply:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": "savedesk",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: Args) -> Reply:
        """A registered user as registered; any other well-formed user ID is an active
        member of this workspace (tests name people freely), unless `strict_users`."""
        require(args, "user")
        user_id = str(args["user"])
        user = self._users.get(user_id)
        if user is None and (self.strict_users or not USER_ID.match(user_id)):
            raise SlackError("user_not_found")
        user = user or _member(user_id, None, user_id.lower())
        return {"user": json.loads(json.dumps(user))}

    def _conversations_info(self, args: Args) -> Reply:
        """A registered channel as registered; any other id is a channel of this workspace
        (public `C…`, private `G…`, a DM `D…`) shared with nobody. As Slack: one removed, or
        private without the app, is channel_not_found; a public one without the app is
        answered with `is_member` false (api.slack.com/methods/conversations.info)."""
        require(args, "channel")
        channel_id = str(args["channel"])
        refusal = self._channel_error(channel_id)
        if refusal == "channel_not_found":
            raise SlackError(refusal)
        known = self._channels.get(channel_id, {"name": channel_id.lower()})
        return {
            "channel": {
                "id": channel_id,
                "name": known["name"],
                "is_channel": channel_id.startswith("C"),
                "is_private": channel_id.startswith("G"),
                "is_im": channel_id.startswith("D"),
                "is_member": refusal != "not_in_channel",
                "is_archived": refusal == "is_archived",
                "is_shared": bool(known.get("is_ext_shared")),
                "is_ext_shared": bool(known.get("is_ext_shared")),
                "is_org_shared": False,
                "context_team_id": TEAM_ID,
            }
        }

    def _users_lookup_by_email(self, args: Args) -> Reply:
        require(args, "email")
        email = str(args["email"]).lower()
        for user in self._users.values():
            if (user["profile"]["email"] or "").lower() == email:
                return {"user": json.loads(json.dumps(user))}
        raise SlackError("users_not_found")

    def _usergroups_list(self, args: Args) -> Reply:
        groups = []
        team = args.get("team_id")  # checked against the token in installs.py
        for group in self._usergroups.values():
            if team and group["team_id"] != team:
                continue
            entry = {
                "id": group["id"],
                "team_id": group["team_id"],
                "is_usergroup": True,
                "name": group["handle"],
                "handle": group["handle"],
                "user_count": len(group["users"]),
            }
            if truthy(args.get("include_users")):
                entry["users"] = list(group["users"])
            groups.append(entry)
        return {"usergroups": groups}

    def _usergroups_users_list(self, args: Args) -> Reply:
        require(args, "usergroup")
        group = self._usergroups.get(str(args["usergroup"]))
        team = args.get("team_id")
        if group is None or (team and group["team_id"] != team):
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}


USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def _member(
    user_id: str, email: str | None, name: str, tz: str = "America/New_York", title: str = ""
) -> dict:
    """Slack's user object for an active member of this workspace."""
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "real_name": name,
        "deleted": False,
        "is_bot": False,
        "is_app_user": False,
        "tz": tz,
        "tz_label": tz,
        "tz_offset": tz_offset(tz),
        "profile": {"real_name": name, "display_name": name, "email": email, "title": title},
    }
