"""auth.test, users.* and usergroups.*: the workspace's members, channels and groups."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable

from demo.standin.records import BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, TEAM_NAME
from demo.standin.validation import Args, Reply, SlackError, require, truthy, tz_offset


class DirectoryMethods:
    """Mixin of SlackStandin: who is in the workspace, and which channels exist."""

    _lock: threading.RLock
    _users: dict[str, dict]
    _usergroups: dict[str, dict]
    _channels: dict[str, dict]

    def add_user(
        self,
        user_id: str,
        email: str | None = None,
        name: str | None = None,
        tz: str = "America/New_York",
        title: str = "",
    ) -> dict:
        """Register a workspace member for users.info / users.lookupByEmail."""
        name = name or user_id.lower()
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset(tz),
            "profile": {"real_name": name, "display_name": name, "email": email, "title": title},
        }
        with self._lock:
            self._users[user_id] = user
        return user

    def add_usergroup(self, group_id: str, handle: str, users: Iterable[str]) -> None:
        """Register a user group (e.g. the CSM on-call group) and its members."""
        with self._lock:
            self._usergroups[group_id] = {"id": group_id, "handle": handle, "users": list(users)}

    def add_channel(self, channel_id: str, name: str, purpose: str = "") -> None:
        """Register a channel the bot is a member of (shown by a client, not by the API)."""
        with self._lock:
            self._channels[channel_id] = {"id": channel_id, "name": name, "purpose": purpose}

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
        require(args, "user")
        user = self._users.get(str(args["user"]))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": json.loads(json.dumps(user))}

    def _users_lookup_by_email(self, args: Args) -> Reply:
        require(args, "email")
        email = str(args["email"]).lower()
        for user in self._users.values():
            if (user["profile"]["email"] or "").lower() == email:
                return {"user": json.loads(json.dumps(user))}
        raise SlackError("users_not_found")

    def _usergroups_list(self, args: Args) -> Reply:
        groups = []
        for group in self._usergroups.values():
            entry = {
                "id": group["id"],
                "team_id": TEAM_ID,
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
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}
