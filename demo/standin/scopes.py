"""The bot scope each Web API method needs, as Slack checks it for an installed token
(https://api.slack.com/methods, "Required scopes")."""

from __future__ import annotations

# The bot scope each method needs (https://api.slack.com/methods, "Required scopes"); a
# conversation method needs the one of its conversation's kind (C public, G private, D DM).
SCOPE_NEEDED = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.open": "im:write",
    "conversations.join": "channels:join",
    "users.info": "users:read",
    "users.lookupByEmail": "users:read.email",
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
# Methods an org-wide token must tell which workspace (their `team_id`, "required if org
# token is used": https://api.slack.com/methods/usergroups.list); Slack's missing_argument.
ORG_NEEDS_TEAM = ("usergroups.list", "usergroups.users.list")
SCOPE_BY_KIND = {
    "conversations.history": {"C": "channels:history", "G": "groups:history", "D": "im:history"},
    "conversations.replies": {"C": "channels:history", "G": "groups:history", "D": "im:history"},
    "conversations.info": {"C": "channels:read", "G": "groups:read", "D": "im:read"},
}
