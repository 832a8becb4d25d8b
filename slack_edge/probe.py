"""`python app.py check` asks Slack once whether SLACK_BOT_TOKEN works (`auth.test`,
api.slack.com/methods/auth.test), quietly: the answer becomes one line in check's own
format, never slack_sdk's log lines (docs/cli.md, *Commands*)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.settings import Settings
from slack_edge.clients import DEFAULT_API_URL

PROBE_TIMEOUT = 10  # seconds: check waits this long at most for Slack
REFUSED = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
"""auth.test errors meaning the token itself will not do (Slack's docs, auth.test)."""

_QUIET = logging.getLogger("savedesk.check.slack")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


@dataclass(frozen=True)
class TokenVerdict:
    """`problem`: Slack refused the token (check fails); `warning`: Slack could not be
    asked (check still passes, the token is just not verified); both None: it works."""

    problem: str | None = None
    warning: str | None = None


def verify_bot_token(settings: Settings) -> TokenVerdict:
    """Call auth.test with SLACK_BOT_TOKEN (at SLACK_API_URL), once, without retries."""
    client = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url or DEFAULT_API_URL,
        timeout=PROBE_TIMEOUT,
        logger=_QUIET,
    )
    client.retry_handlers.clear()
    try:
        client.auth_test()
    except SlackApiError as err:
        error = str(err.response.get("error") or "an error")
        if error in REFUSED:
            return TokenVerdict(problem=f"SLACK_BOT_TOKEN: Slack refuses it ({error}); " + _FIX)
        return TokenVerdict(warning=_unverified(f"Slack answered {error}"))
    except (SlackClientError, OSError, ValueError) as err:
        return TokenVerdict(warning=_unverified(_reason(err)))
    return TokenVerdict()


_FIX = "copy the Bot User OAuth Token (xoxb-…) again from your app's OAuth & Permissions"


def _unverified(reason: str) -> str:
    return (
        f"could not verify SLACK_BOT_TOKEN with Slack ({reason}); role holders were not "
        "checked either: run check again when Slack answers"
    )


def _reason(err: BaseException) -> str:
    """The innermost cause, one short line (`Connection refused`, `timed out`)."""
    inner = getattr(err, "reason", None) or err
    text = str(getattr(inner, "strerror", None) or inner).splitlines()
    return (text[0] if text else type(err).__name__)[:160]
