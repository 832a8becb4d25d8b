"""`python app.py check` asks Slack once whether SLACK_BOT_TOKEN (or in OAuth mode the
installed app's token) works (`auth.test`,
api.slack.com/methods/auth.test), quietly: the answer becomes one line in check's own
format, never slack_sdk's log lines (docs/cli.md, *Commands*)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.common.clock import SystemClock
from bot.runtime.settings import Settings
from slack_edge.clients import DEFAULT_API_URL
from slack_edge.installs import NotInstalled, TokenSource
from storage.db import Database

PROBE_TIMEOUT = 10  # seconds: check waits this long at most for Slack
REFUSED = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
"""auth.test errors meaning the token itself will not do (Slack's docs, auth.test)."""

_QUIET = logging.getLogger("savedesk.check.slack")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


@dataclass(frozen=True)
class TokenVerdict:
    """`problem`: Slack refused the token, or could not be reached at all (check fails:
    nothing Savedesk posts would arrive); `warning`: Slack answered with an error that says
    nothing about the token (check still passes, unverified); both None: it works."""

    problem: str | None = None
    warning: str | None = None
    channel_problems: list[str] = field(default_factory=list)
    """Channels the policy names that Slack does not know or the app is not in."""


def verify_bot_token(
    settings: Settings, channels: Mapping[str, str], installed: str | None = None
) -> TokenVerdict:
    """Call auth.test with SLACK_BOT_TOKEN, or in OAuth mode the `installed` app's token
    (at SLACK_API_URL), once, without retries; when it works, conversations.info for each
    of `channels` (policy key → channel ID)."""
    name = "SLACK_BOT_TOKEN" if installed is None else "the installed app's token"
    client = WebClient(
        token=settings.slack_bot_token if installed is None else installed,
        base_url=settings.slack_api_url or DEFAULT_API_URL,
        timeout=PROBE_TIMEOUT,
        logger=_QUIET,
    )
    client.retry_handlers.clear()
    try:
        client.auth_test()
    except SlackApiError as err:
        error = str(err.response.get("error") or "an error")
        if error in REFUSED and installed is not None:
            return TokenVerdict(problem=INSTALLED_REFUSED.format(error=error))
        if error in REFUSED:
            return TokenVerdict(problem=f"SLACK_BOT_TOKEN: Slack refuses it ({error}); " + _FIX)
        return TokenVerdict(warning=_unverified(f"Slack answered {error}", name))
    except (SlackClientError, OSError, ValueError) as err:
        return TokenVerdict(problem=unreachable(settings, _reason(err), name))
    return TokenVerdict(
        channel_problems=[p for k, c in channels.items() if (p := _reach(client, k, c))]
    )


def _reach(client: WebClient, key: str, channel: str) -> str | None:
    """A channel Slack does not know, or one the app is not in (it could not post there);
    None when fine or when Slack cannot say (missing scope, an outage: not the channel's
    fault)."""
    try:
        info = client.conversations_info(channel=channel).get("channel") or {}
    except SlackApiError as err:
        if err.response.get("error") != "channel_not_found":
            return None
        return (
            f"{key}: Slack knows no channel {channel} (channel_not_found); check the ID, or "
            "/invite the app if the channel is private"
        )
    except (SlackClientError, OSError, ValueError):
        return None
    if info.get("is_archived"):
        return f"{key}: channel {channel} is archived; unarchive it or name another"
    if info.get("is_member") is False:
        return f"{key}: the app is not in channel {channel}; /invite the app there"
    return None


_FIX = "copy the Bot User OAuth Token (xoxb-…) again from your app's OAuth & Permissions"


def _unverified(reason: str, name: str = "SLACK_BOT_TOKEN") -> str:
    return (
        f"could not verify {name} with Slack ({reason}); role holders were not "
        "checked either: run check again when Slack answers"
    )


def unreachable(settings: Settings, reason: str, name: str) -> str:
    """Slack not reached at all (refused connection, no network, a timeout): a problem for
    `check`, naming the URL asked and what to do (docs/cli.md, *Commands*)."""
    url = settings.slack_api_url or DEFAULT_API_URL
    fix = (
        "SLACK_API_URL is set: is it right? unset it to use Slack itself"
        if settings.slack_api_url
        else "check this machine's network, proxy and firewall"
    )
    return (
        f"Slack: could not reach {url} to verify {name} ({reason}); {fix}, then run check "
        "again (the channels and role holders were not checked either)"
    )


INSTALLED_REFUSED = (
    "Slack: it refuses the installed app's token ({error}); install the app again at /slack/install"
)


def installed_token(settings: Settings, db: Database) -> tuple[str | None, TokenVerdict]:
    """OAuth mode: the installed app's current bot token for `check` to ask Slack with
    (refreshed first when due, as any call would: docs/slack-admin.md, *Token rotation*),
    or None with why not. Not installed is no verdict here: `database_state` says so."""
    try:
        return TokenSource(settings, db, SystemClock()).token(), TokenVerdict()
    except NotInstalled:
        return None, TokenVerdict()
    except SlackApiError as err:  # the refresh was refused
        error = str(err.response.get("error") or "an error")
        return None, TokenVerdict(problem=INSTALLED_REFUSED.format(error=error))
    except (SlackClientError, OSError, ValueError) as err:
        reason = _reason(err)
        return None, TokenVerdict(
            problem=unreachable(settings, reason, "the installed app's token")
        )


def _reason(err: BaseException) -> str:
    """The innermost cause, one short line (`Connection refused`, `timed out`)."""
    inner = getattr(err, "reason", None) or err
    text = str(getattr(inner, "strerror", None) or inner).splitlines()
    return (text[0] if text else type(err).__name__)[:160]
