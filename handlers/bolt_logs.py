"""What Bolt logs at start-up and on refused requests, made true and safe.

- Bolt warns "`token` will be unused" / "will be ignored" whenever SLACK_BOT_TOKEN is in
  the environment and a `client` and `authorize` are given. Savedesk gives both on purpose
  (handlers/identity.py: no auth.test per request) and both carry that token: untrue.
- Bolt logs a refused signature at INFO with the whole request body, which can hold
  customer data (a cancellation message, an account name). Savedesk logs that a request
  was refused and why (missing header, stale timestamp, signature mismatch), never the body.

Bolt re-applies the root logger's level to its loggers, so filters, not levels, do this.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

BOLT_APP_LOGGER = "slack_bolt.App"
VERIFICATION_LOGGER = "slack_bolt.RequestVerification"
MAX_AGE_SECONDS = 300  # Slack's replay window (api.slack.com/authentication/verifying-requests)
_REFUSAL = re.compile(r"signature: (?P<signature>.*?), timestamp: (?P<timestamp>.*?), body:", re.S)


class UnusedTokenNotice(logging.Filter):
    """Drops Bolt's untrue "`token` will be unused / ignored" warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token`" not in record.getMessage()


class RefusedRequestLine(logging.Filter):
    """Rewrites Bolt's refused-signature line into one without the body (never leaks it)."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._now = now

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "body" not in message:
            return True
        match = _REFUSAL.search(message)
        why = refusal_reason(match["signature"], match["timestamp"], self._now()) if match else "?"
        record.msg, record.args = "refused a request on /slack/events: %s", (why,)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def refusal_reason(signature: str, timestamp: str, now: float) -> str:
    """Why Slack's signature check failed, from the headers alone (Slack's signing docs)."""
    if not signature:
        return "no X-Slack-Signature header"
    if not timestamp.strip().lstrip("-").isdigit() or timestamp.strip() == "0":
        return "X-Slack-Request-Timestamp is missing or not a Unix time"
    age = now - int(timestamp)
    if abs(age) > MAX_AGE_SECONDS:
        return f"X-Slack-Request-Timestamp is {int(abs(age))} s off (over 5 minutes)"
    return "the signature does not match (is SLACK_SIGNING_SECRET this app's?)"


def install() -> logging.Logger:
    """Attach the filters once; returns the logger to hand to Bolt's App."""
    app_logger = logging.getLogger(BOLT_APP_LOGGER)
    if not any(isinstance(f, UnusedTokenNotice) for f in app_logger.filters):
        app_logger.addFilter(UnusedTokenNotice())
    verification = logging.getLogger(VERIFICATION_LOGGER)
    if not any(isinstance(f, RefusedRequestLine) for f in verification.filters):
        verification.addFilter(RefusedRequestLine())
    return app_logger
