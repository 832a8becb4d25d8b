"""Secrets never reach the log: a filter on the log's handlers that blanks tokens and keys.

At `LOG_LEVEL=DEBUG`, slack_sdk logs whole Web API responses (`oauth.v2.access` carries
the bot and refresh tokens) and request headers; a message of Savedesk's own may quote a
setting by mistake. The shapes are the vendors' documented prefixes: Slack tokens
(`xoxb-`, `xoxp-`, `xoxa-`, `xoxe-`, `xoxe.xoxb-`, `xapp-`; Slack docs, *Token types*),
Stripe keys and webhook secrets (`sk_`, `rk_`, `whsec_`; Stripe docs, *API keys*), HubSpot
private-app tokens (`pat-`) and Standard Webhooks secrets (`whsec_`).
"""

from __future__ import annotations

import logging
import re

SECRET = re.compile(
    r"\b(?P<kind>xox[abpre](?:\.xox[abp])?-|xapp-|sk_(?:live|test)_|rk_(?:live|test)_|whsec_"
    r"|pat-[a-z]{2}\d-)[A-Za-z0-9._/+=-]{6,}"
)


def redact(text: str) -> str:
    """`text` with every secret of a known shape replaced by its prefix and `…`."""
    return SECRET.sub(lambda m: f"{m.group('kind')}…", text)


class RedactSecrets(logging.Filter):
    """Rewrites each record's message with `redact` before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:  # a traceback may quote a secret too
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FORMATTER = logging.Formatter()


def guard_handlers(logger: logging.Logger | None = None) -> None:
    """Put `RedactSecrets` on every handler of `logger` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
