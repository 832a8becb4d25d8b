"""What Slack's refusals mean, in one place: every answer the deliverer gets is one of six
kinds, and each kind has one treatment (docs/slack.md, *When Slack says no*).

- WORKSPACE: the token or Slack itself (auth, rate limit, 5xx, no connection). Nothing is
  wrong with the message: delivery pauses for the whole workspace with backoff and resumes
  by itself; no row ever fails for it.
- CHANNEL: this channel does not take messages now (archived, gone, the app not in it). The
  channel's messages wait; whoever needed them is told another way; they go when the
  channel works again.
- MESSAGE: Slack refused this message's content. The plain-text fallback goes instead.
- GONE: an edit of a message Slack no longer has (someone deleted it): nothing to edit and
  nothing to retry; the edit is dropped, said once, and a deleted case root is posted again
  (bot/outbox/deleted.py).
- PERSON: a DM Slack refuses for good for that person (no such member, a bot, a
  deactivated one): no wait helps; the row fails naming who could not be reached, and the
  case thread it was about says so (bot/outbox/deleted.py).
- UNKNOWN: anything else: a few retries, then the row fails loudly, naming the error.

Error codes are those Slack documents for chat.postMessage, chat.update and
files.completeUploadExternal (https://api.slack.com/methods/chat.postMessage#errors,
https://api.slack.com/methods/chat.update#errors), conversations.open
(https://api.slack.com/methods/conversations.open#errors) and its rate limits (https://api.slack.com/apis/rate-limits).
"""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    WORKSPACE = "workspace"
    CHANNEL = "channel"
    MESSAGE = "message"
    GONE = "gone"
    PERSON = "person"
    UNKNOWN = "unknown"


WORKSPACE_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "team_access_not_granted",
        "ratelimited",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
        "ekm_access_denied",  # an admin suspended the ability to post
        "team_added_to_org",  # the workspace is migrating into an Enterprise Grid org
        # OAuth mode (bot/runtime/installs.py): no installation holds a token (removed, or never
        # installed), or Slack refused to refresh it; messages wait for an install.
        "app_uninstalled",
        "invalid_refresh_token",
    }
)
CHANNEL_ERRORS = frozenset(
    {
        "is_archived",
        "channel_not_found",
        "not_in_channel",
        "restricted_action",  # a preference says who may post there (e.g. admins only)
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
    }
)
MESSAGE_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "invalid_attachments",
        "too_many_attachments",
    }
)
GONE_ERRORS = frozenset({"message_not_found"})  # chat.update of a deleted message
# A DM (the channel is a person: a user ID or their IM): Slack refuses that person for good.
# chat.postMessage to an unknown user ID answers channel_not_found; conversations.open
# answers the others.
PERSON_ERRORS = frozenset(
    {"channel_not_found", "user_not_found", "cannot_dm_bot", "user_disabled", "user_not_visible"}
)
CONNECTION_ERROR = "connection error"

_WHY = {
    "is_archived": "the channel is archived",
    "channel_not_found": "the channel is gone, or private without the app in it",
    "not_in_channel": "the app is not in the channel and cannot join it",
    "restricted_action": "a workspace preference keeps the app from posting there",
    "restricted_action_read_only_channel": "the channel is read-only",
    "restricted_action_thread_only_channel": "the channel takes thread replies only",
    "restricted_action_non_threadable_channel": "the channel takes no thread replies",
}
_WHY_PERSON = {
    "channel_not_found": "Slack knows no such member, or the app cannot see them",
    "user_not_found": "Slack knows no such member",
    "cannot_dm_bot": "they are a bot, and Slack lets no app DM a bot",
    "user_disabled": "their account is deactivated",
    "user_not_visible": "the app may not see them (another organisation, or restricted)",
}


def is_dm(channel: str) -> bool:
    """Whether a row's channel is a person's DM: a user ID (U…, W… on Enterprise Grid) or an
    IM channel (D…)."""
    return channel[:1] in ("U", "W", "D")


def classify(status: int | None, error: str, *, dm: bool = False) -> Refusal:
    """The kind of a refusal: `status` is the HTTP status (None: no answer at all, a
    connection error), `error` Slack's `error` code, `dm` whether the call went to a
    person's DM (`is_dm`)."""
    if status is None or status == 429 or status >= 500 or error in WORKSPACE_ERRORS:
        return Refusal.WORKSPACE
    if error in GONE_ERRORS:
        return Refusal.GONE
    if dm and error in PERSON_ERRORS:
        return Refusal.PERSON
    if error in CHANNEL_ERRORS:
        return Refusal.CHANNEL
    if error in MESSAGE_ERRORS:
        return Refusal.MESSAGE
    return Refusal.UNKNOWN


def why(error: str) -> str:
    """A channel refusal in words, for the people told another way."""
    return _WHY.get(error, f"Slack answered `{error}`")


def why_person(error: str) -> str:
    """A DM refused for good for that person, in words."""
    return _WHY_PERSON.get(error, f"Slack answered `{error}`")
